package desk_test

import (
	"context"
	"testing"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
)

// openPostgres opens a fresh PostgreSQL store for t.
func openPostgres(t testing.TB) (hub.Store, error) {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.URL(t)})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { s.Close() })
	return s, nil
}
