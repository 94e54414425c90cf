package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// Schema 7 indexes every command, pending or not, by agent and time:
//
//	command_times/<agent>/<created at,id>   nothing
//
// so that an agent's history (RecentCommands) reads only its newest
// commands and PruneCommands only the old ones. EnqueueCommand writes the
// index entry with the command; the migration indexes the commands a file
// already holds.
var bucketCommandTimes = []byte("command_times")

// indexCommands (re)builds command_times from the commands bucket.
func indexCommands(tx *bbolt.Tx) error {
	if tx.Bucket(bucketCommandTimes) != nil {
		if err := tx.DeleteBucket(bucketCommandTimes); err != nil {
			return fmt.Errorf("drop bucket %s: %w", bucketCommandTimes, err)
		}
	}
	if err := createBuckets(tx, bucketCommandTimes); err != nil {
		return err
	}
	return tx.Bucket(bucketCommands).ForEach(func(k, v []byte) error {
		var c hub.Command
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("index command %q: %w", k, err)
		}
		return indexCommand(tx, c)
	})
}

// indexCommand adds c to command_times.
func indexCommand(tx *bbolt.Tx, c hub.Command) error {
	b, err := nested(tx, bucketCommandTimes, c.AgentID)
	if err != nil {
		return err
	}
	return b.Put(commandTimeKey(c), nil)
}

// commandTimeKey orders an agent's commands by CreatedAt, then id.
func commandTimeKey(c hub.Command) []byte { return timeIDKey(c.CreatedAt, c.ID) }

// RecentCommands implements hub.Store: it walks the agent's index from
// its newest command back and reads at most limit commands.
func (s *Store) RecentCommands(ctx context.Context, agentID string, limit int) (
	[]hub.Command, error) {
	var list []hub.Command
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		index := existing(tx, bucketCommandTimes, agentID)
		if index == nil {
			return nil
		}
		commands := tx.Bucket(bucketCommands)
		c := index.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(list) < limit); k, _ = c.Prev() {
			var cmd hub.Command
			if err := getJSON(commands, "command", string(k[timeKeyLen:]), &cmd); err != nil {
				return err
			}
			list = append(list, cmd)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent commands of agent %q: %w", agentID, err)
	}
	return list, nil
}

// PruneCommands implements hub.Store. It walks each agent's index from
// its oldest command up to before; pending commands there are kept (and
// read again by the next prune: an agent's inbox, so few).
func (s *Store) PruneCommands(ctx context.Context, before time.Time) (int, error) {
	end := timeKey(before.UTC())
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		root, commands := tx.Bucket(bucketCommandTimes), tx.Bucket(bucketCommands)
		var agents [][]byte
		if err := root.ForEachBucket(func(agent []byte) error {
			agents = append(agents, bytes.Clone(agent))
			return nil
		}); err != nil {
			return err
		}
		for _, agent := range agents {
			var old [][]byte
			c := root.Bucket(agent).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
				var cmd hub.Command
				if err := getJSON(commands, "command", string(k[timeKeyLen:]), &cmd); err != nil {
					return err
				}
				if cmd.State != hub.CommandPending {
					old = append(old, bytes.Clone(k))
				}
			}
			for _, k := range old {
				if err := commands.Delete(k[timeKeyLen:]); err != nil {
					return err
				}
				if err := root.Bucket(agent).Delete(k); err != nil {
					return err
				}
			}
			n += len(old)
		}
		if n == 0 {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return 0, fmt.Errorf("prune commands: %w", err)
	}
	return n, nil
}
