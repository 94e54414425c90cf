package agent_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stolik/stolik/agent"
)

func TestFixSurvivesWrapping(t *testing.T) {
	base := errors.New("401 from /api/1/access_token")
	err := fmt.Errorf("iiko: %w", agent.WithFix(base, "check the API key", "проверьте ключ API"))
	fix, ok := agent.FixOf(err)
	if !ok || fix.EN != "check the API key" || fix.RU != "проверьте ключ API" {
		t.Fatalf("FixOf = %+v, %v", fix, ok)
	}
	if !errors.Is(err, base) {
		t.Error("the wrapped error is lost")
	}
	if _, ok := agent.FixOf(base); ok {
		t.Error("a plain error has a fix")
	}
	if agent.WithFix(nil, "a", "b") != nil {
		t.Error("WithFix(nil) is not nil")
	}
}
