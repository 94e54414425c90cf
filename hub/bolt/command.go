package bolt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
	"go.etcd.io/bbolt"
)

// EnqueueCommand stores a pending command for an agent; hub.ErrExists if the
// id is taken, hub.ErrNotFound if the agent does not exist. An empty State
// means pending; a command cannot be enqueued with a result.
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

	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAgents).Get([]byte(c.AgentID)) == nil {
			return fmt.Errorf("agent %q: %w", c.AgentID, hub.ErrNotFound)
		}
		commands := tx.Bucket(bucketCommands)
		if commands.Get([]byte(c.ID)) != nil {
			return hub.ErrExists
		}
		pending, err := tx.Bucket(bucketPending).CreateBucketIfNotExists([]byte(c.AgentID))
		if err != nil {
			return err
		}
		if err := pending.Put(pendingKey(c), []byte(c.ID)); err != nil {
			return err
		}
		if err := indexCommand(tx, c); err != nil {
			return err
		}
		return putJSON(commands, c.ID, c)
	})
	if err != nil {
		return fmt.Errorf("enqueue command %q: %w", c.ID, err)
	}
	return nil
}

// PendingCommands lists an agent's commands without a result, oldest first
// (by CreatedAt, then id). It returns hub.ErrNotFound for an unknown agent.
func (s *Store) PendingCommands(ctx context.Context, agentID string) ([]hub.Command, error) {
	var list []hub.Command
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAgents).Get([]byte(agentID)) == nil {
			return fmt.Errorf("agent %q: %w", agentID, hub.ErrNotFound)
		}
		pending := tx.Bucket(bucketPending).Bucket([]byte(agentID))
		if pending == nil {
			return nil
		}
		commands := tx.Bucket(bucketCommands)
		return pending.ForEach(func(_, id []byte) error {
			var c hub.Command
			if err := getJSON(commands, "command", string(id), &c); err != nil {
				return err
			}
			list = append(list, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending commands: %w", err)
	}
	return list, nil
}

// Command returns one command; hub.ErrNotFound if there is none with id.
func (s *Store) Command(ctx context.Context, id string) (hub.Command, error) {
	var c hub.Command
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketCommands), "command", id, &c)
	})
	if err != nil {
		return hub.Command{}, fmt.Errorf("get command: %w", err)
	}
	return c, nil
}

// FinishCommand records the result of one of the agent's commands and marks
// it done. A command that is not pending any more keeps its first result and
// the call succeeds, so a result resent after a reconnect is harmless. An
// unknown command, or one that belongs to another agent, is hub.ErrNotFound.
func (s *Store) FinishCommand(ctx context.Context, agentID string, r wire.Result) error {
	if agentID == "" || r.CommandID == "" {
		return fmt.Errorf("finish command %q of agent %q: %w", r.CommandID, agentID, errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		commands := tx.Bucket(bucketCommands)
		var c hub.Command
		if err := getJSON(commands, "command", r.CommandID, &c); err != nil {
			return err
		}
		if c.AgentID != agentID {
			// Said as "not found" so that an agent learns nothing about
			// another agent's commands.
			return fmt.Errorf("command %q: %w", r.CommandID, hub.ErrNotFound)
		}
		if c.State != hub.CommandPending {
			return nil
		}

		c.State, c.Result = hub.CommandDone, &r
		if p := tx.Bucket(bucketPending).Bucket([]byte(agentID)); p != nil {
			if err := p.Delete(pendingKey(c)); err != nil {
				return err
			}
		}
		return putJSON(commands, c.ID, c)
	})
	if err != nil {
		return fmt.Errorf("finish command: %w", err)
	}
	return nil
}

// pendingKey orders an agent's pending commands: by CreatedAt, then id.
func pendingKey(c hub.Command) []byte { return timeIDKey(c.CreatedAt, c.ID) }

// ExpireCommands marks pending commands whose Expires is at or before now
// as expired and returns them, oldest first (CreatedAt, then id). Commands
// without an expiry never expire.
func (s *Store) ExpireCommands(ctx context.Context, now time.Time) ([]hub.Command, error) {
	var list []hub.Command
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		commands, pending := tx.Bucket(bucketCommands), tx.Bucket(bucketPending)
		// Pending commands are few: the agents' inboxes, not their history.
		err := pending.ForEachBucket(func(agent []byte) error {
			return pending.Bucket(agent).ForEach(func(_, id []byte) error {
				var c hub.Command
				if err := getJSON(commands, "command", string(id), &c); err != nil {
					return err
				}
				if !c.Expires.IsZero() && !c.Expires.After(now) {
					list = append(list, c)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return errRollback
		}

		for i := range list {
			c := &list[i]
			c.State = hub.CommandExpired
			if err := pending.Bucket([]byte(c.AgentID)).Delete(pendingKey(*c)); err != nil {
				return err
			}
			if err := putJSON(commands, c.ID, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("expire commands: %w", err)
	}
	slices.SortFunc(list, func(a, b hub.Command) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return list, nil
}
