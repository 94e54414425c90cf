package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// CommandChannel is the channel EnqueueCommand notifies, with the agent id
// as payload.
const CommandChannel = "stolik_commands"

const commandColumns = `id, agent_id, kind, body, created_at, expires, state, result`

func scanCommand(row pgx.Row) (hub.Command, error) {
	var c hub.Command
	var body, result []byte
	var expires *time.Time
	err := row.Scan(&c.ID, &c.AgentID, &c.Kind, &body, &c.CreatedAt, &expires, &c.State,
		&result)
	if err != nil {
		return hub.Command{}, err
	}
	c.CreatedAt, c.Expires = utc(c.CreatedAt), fromNull(expires)
	if body != nil {
		c.Body = json.RawMessage(body)
	}
	if result != nil {
		c.Result = new(wire.Result)
		if err := json.Unmarshal(result, c.Result); err != nil {
			return hub.Command{}, fmt.Errorf("decode result of command %q: %w", c.ID, err)
		}
	}
	return c, nil
}

// EnqueueCommand stores a pending command for an agent; hub.ErrExists if
// the id is taken, hub.ErrNotFound if the agent does not exist. An empty
// State means pending; a command cannot be enqueued with a result. After
// the command is committed, every replica's ListenCommands hears of it.
func (s *Store) EnqueueCommand(ctx context.Context, c hub.Command) error {
	if c.ID == "" || c.AgentID == "" {
		return fmt.Errorf("enqueue command %q for agent %q: %w", c.ID, c.AgentID, errEmptyID)
	}
	if c.State == "" {
		c.State = hub.CommandPending
	}
	if c.State != hub.CommandPending || c.Result != nil {
		return fmt.Errorf("enqueue command %q: a new command must be pending, without result",
			c.ID)
	}
	var body []byte
	if len(c.Body) > 0 {
		body = c.Body
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO commands (`+commandColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
		c.ID, c.AgentID, c.Kind, body, c.CreatedAt, nullTime(c.Expires), c.State)
	if err != nil {
		return fmt.Errorf("enqueue command %q: %w", c.ID, classify(err))
	}

	// Outside the insert's transaction: a listener woken before the commit
	// would look and find nothing. A lost notification only delays the
	// command until the agent's next connect or a listener's reconnect.
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, CommandChannel,
		c.AgentID); err != nil {
		s.log.Warn("notify replicas of a command", "command", c.ID, "agent", c.AgentID,
			"err", err)
	}
	return nil
}

// PendingCommands lists an agent's commands without a result, oldest first
// (by CreatedAt, then id). It returns hub.ErrNotFound for an unknown agent.
func (s *Store) PendingCommands(ctx context.Context, agentID string) ([]hub.Command, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, c.id, c.agent_id, c.kind, c.body, c.created_at, c.expires, c.state,
			c.result
		FROM agents a
		LEFT JOIN commands c ON c.agent_id = a.id AND c.state = 'pending'
		WHERE a.id = $1
		ORDER BY c.created_at, c.id`, agentID)
	if err != nil {
		return nil, fmt.Errorf("pending commands of %q: %w", agentID, err)
	}
	var agent bool
	list := []hub.Command{}
	for rows.Next() {
		agent = true
		var id *string
		var c hub.Command
		var kind, state *string
		var created, expires *time.Time
		var body, result []byte
		var owner *string
		if err := rows.Scan(new(string), &id, &owner, &kind, &body, &created, &expires,
			&state, &result); err != nil {
			return nil, fmt.Errorf("pending commands of %q: %w", agentID, err)
		}
		if id == nil {
			continue // no pending commands
		}
		c.ID, c.AgentID, c.Kind, c.State = *id, *owner, wire.CommandKind(*kind),
			hub.CommandState(*state)
		c.CreatedAt, c.Expires = created.UTC(), fromNull(expires)
		if body != nil {
			c.Body = json.RawMessage(body)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending commands of %q: %w", agentID, err)
	}
	if !agent {
		return nil, fmt.Errorf("pending commands: %w", notFound("agent", agentID))
	}
	return list, nil
}

// Command returns one command; hub.ErrNotFound if there is none with id.
func (s *Store) Command(ctx context.Context, id string) (hub.Command, error) {
	c, err := scanCommand(s.pool.QueryRow(ctx,
		`SELECT `+commandColumns+` FROM commands WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("command", id)
	}
	if err != nil {
		return hub.Command{}, fmt.Errorf("get command: %w", err)
	}
	return c, nil
}

// FinishCommand records the result of one of the agent's pending commands
// and marks it done. A command that is not pending any more keeps its
// first result and the call succeeds. An unknown command, or one of another
// agent, is hub.ErrNotFound.
func (s *Store) FinishCommand(ctx context.Context, agentID string, r wire.Result) error {
	if agentID == "" || r.CommandID == "" {
		return fmt.Errorf("finish command %q of agent %q: %w", r.CommandID, agentID, errEmptyID)
	}
	result, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("finish command %q: encode result: %w", r.CommandID, err)
	}
	// The update does nothing for a command that is not pending; the
	// select then tells whether it exists for this agent.
	var owner *string
	err = s.pool.QueryRow(ctx, `
		WITH done AS (
			UPDATE commands SET state = 'done', result = $3
			WHERE id = $1 AND agent_id = $2 AND state = 'pending'
			RETURNING agent_id
		)
		SELECT coalesce((SELECT agent_id FROM done),
			(SELECT agent_id FROM commands WHERE id = $1))`,
		r.CommandID, agentID, result).Scan(&owner)
	if err != nil {
		return fmt.Errorf("finish command %q: %w", r.CommandID, classify(err))
	}
	if owner == nil || *owner != agentID {
		// Said as "not found" so that an agent learns nothing about
		// another agent's commands.
		return fmt.Errorf("finish command: %w", notFound("command", r.CommandID))
	}
	return nil
}

// ExpireCommands marks pending commands whose Expires is at or before now
// as expired and returns them, oldest first (CreatedAt, then id).
func (s *Store) ExpireCommands(ctx context.Context, now time.Time) ([]hub.Command, error) {
	rows, err := s.pool.Query(ctx, `
		WITH expired AS (
			UPDATE commands SET state = 'expired'
			WHERE state = 'pending' AND expires <= $1
			RETURNING `+commandColumns+`
		)
		SELECT * FROM expired ORDER BY created_at, id`, now)
	if err != nil {
		return nil, fmt.Errorf("expire commands: %w", err)
	}
	list, err := collect(rows, scanCommand)
	if err != nil {
		return nil, fmt.Errorf("expire commands: %w", err)
	}
	return list, nil
}

// ListenCommands calls fn with the agent id of every command enqueued, by
// any replica, until ctx is done; it then returns ctx.Err(). It listens on
// a connection of its own and reconnects, with capped backoff, when that
// connection is lost (see listen). Notifications sent while it was away
// are gone, so after a reconnect it calls fn for every agent with pending
// commands. fn runs on the listening goroutine and should return quickly.
func (s *Store) ListenCommands(ctx context.Context, fn func(agentID string)) error {
	return s.listen(ctx, CommandChannel, func(ctx context.Context, conn *pgx.Conn,
		again bool) error {
		if !again {
			return nil
		}
		rows, err := conn.Query(ctx, `SELECT DISTINCT agent_id FROM commands
			WHERE state = 'pending'`)
		if err != nil {
			return fmt.Errorf("agents with pending commands: %w", err)
		}
		agents, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("agents with pending commands: %w", err)
		}
		for _, id := range agents {
			fn(id)
		}
		return nil
	}, fn)
}

// PendingAgentsSince lists, by id, the agents with pending commands created
// at or after since: what a replica polls now and then, beside
// ListenCommands, in case a notification was lost.
func (s *Store) PendingAgentsSince(ctx context.Context, since time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT agent_id FROM commands
		WHERE state = 'pending' AND created_at >= $1 ORDER BY agent_id`, since)
	if err != nil {
		return nil, fmt.Errorf("agents with pending commands: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("agents with pending commands: %w", err)
	}
	return list, nil
}
