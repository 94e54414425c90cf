package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// userRecord is a user as stored, with the password hash hub.User does not
// encode.
type userRecord struct {
	hub.User
	Hash []byte `json:"hash"`
}

// sessionRecord is a session as stored under its id hash.
type sessionRecord struct {
	hub.Session
}

// CreateUser implements hub.Store.
func (s *Store) CreateUser(ctx context.Context, u hub.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, err)
	}
	u.VenueIDs = slices.Compact(slices.Sorted(slices.Values(u.VenueIDs)))
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		users, emails := tx.Bucket(bucketUsers), tx.Bucket(bucketUserEmails)
		if users.Get([]byte(u.ID)) != nil || emails.Get([]byte(u.Email)) != nil {
			return hub.ErrExists
		}
		for _, v := range u.VenueIDs {
			if err := venueExists(tx, v); err != nil {
				return err
			}
		}
		if err := putJSON(users, u.ID, userRecord{User: u, Hash: u.PasswordHash}); err != nil {
			return err
		}
		return emails.Put([]byte(u.Email), []byte(u.ID))
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.ID, err)
	}
	return nil
}

// UserByEmail implements hub.Store.
func (s *Store) UserByEmail(ctx context.Context, email string) (hub.User, error) {
	var u hub.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketUserEmails).Get([]byte(hub.NormalizeEmail(email)))
		if id == nil {
			return fmt.Errorf("user %q: %w", email, hub.ErrNotFound)
		}
		var err error
		u, err = getUser(tx, string(id))
		return err
	})
	return u, err
}

// User implements hub.Store.
func (s *Store) User(ctx context.Context, id string) (hub.User, error) {
	var u hub.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

func getUser(tx *bbolt.Tx, id string) (hub.User, error) {
	var r userRecord
	if err := getJSON(tx.Bucket(bucketUsers), "user", id, &r); err != nil {
		return hub.User{}, err
	}
	r.User.PasswordHash = r.Hash
	return r.User, nil
}

// CreateSession implements hub.Store.
func (s *Store) CreateSession(ctx context.Context, se hub.Session) error {
	if len(se.IDHash) == 0 || se.UserID == "" {
		return fmt.Errorf("create session: %w: id hash and user are required", hub.ErrInvalid)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte(se.UserID)) == nil {
			return fmt.Errorf("user %q: %w", se.UserID, hub.ErrNotFound)
		}
		sessions := tx.Bucket(bucketSessions)
		if sessions.Get(se.IDHash) != nil {
			return hub.ErrExists
		}
		raw, err := json.Marshal(sessionRecord{Session: se})
		if err != nil {
			return err
		}
		return sessions.Put(se.IDHash, raw)
	})
	if err != nil {
		return fmt.Errorf("create session of user %q: %w", se.UserID, err)
	}
	return nil
}

// Session implements hub.Store.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (hub.Session, error) {
	var se hub.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bucketSessions).Get(idHash)
		if raw == nil {
			return fmt.Errorf("session: %w", hub.ErrNotFound)
		}
		var r sessionRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("session: %w", err)
		}
		if !r.Expires.After(now) {
			return fmt.Errorf("session expired: %w", hub.ErrNotFound)
		}
		se = r.Session
		se.IDHash = bytes.Clone(idHash)
		return nil
	})
	return se, err
}

// DeleteSession implements hub.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete(idHash)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements hub.Store. It reads every session:
// there are as many as people signed in.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSessions).Cursor()
		for k, v := c.First(); k != nil; {
			var r sessionRecord
			if err := json.Unmarshal(v, &r); err == nil && r.Expires.After(now) {
				k, v = c.Next()
				continue
			}
			key := bytes.Clone(k)
			if err := c.Delete(); err != nil {
				return err
			}
			n++
			k, v = c.Seek(key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// RecordAgentSamples implements hub.Store.
func (s *Store) RecordAgentSamples(ctx context.Context, samples []hub.AgentSample) error {
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		agents, root := tx.Bucket(bucketAgents), tx.Bucket(bucketSamples)
		for _, sm := range samples {
			if sm.AgentID == "" || agents.Get([]byte(sm.AgentID)) == nil {
				continue
			}
			b, err := root.CreateBucketIfNotExists([]byte(sm.AgentID))
			if err != nil {
				return err
			}
			sm.Minute = sm.Minute.UTC().Truncate(time.Minute)
			raw, err := json.Marshal(sm)
			if err != nil {
				return err
			}
			if err := b.Put(timeKey(sm.Minute), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record agent samples: %w", err)
	}
	return nil
}

// AgentSamples implements hub.Store.
func (s *Store) AgentSamples(ctx context.Context, agentID string, from time.Time) (
	[]hub.AgentSample, error) {
	var list []hub.AgentSample
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSamples).Bucket([]byte(agentID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(timeKey(from.UTC().Truncate(time.Minute))); k != nil; k, v = c.Next() {
			var sm hub.AgentSample
			if err := json.Unmarshal(v, &sm); err != nil {
				return fmt.Errorf("sample of agent %q: %w", agentID, err)
			}
			if sm.Minute.Before(from) {
				continue
			}
			list = append(list, sm)
		}
		return nil
	})
	return list, err
}

// PruneAgentSamples implements hub.Store.
func (s *Store) PruneAgentSamples(ctx context.Context, before time.Time) error {
	end := timeKey(before.UTC())
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketSamples)
		// Agents first: a bucket is not changed while it is iterated.
		var agents [][]byte
		if err := root.ForEachBucket(func(agent []byte) error {
			agents = append(agents, bytes.Clone(agent))
			return nil
		}); err != nil {
			return err
		}
		for _, agent := range agents {
			c := root.Bucket(agent).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune agent samples: %w", err)
	}
	return nil
}
