package emulator

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver for --state
)

// The state file is one SQLite database holding the whole state as a JSON
// snapshot (keys, objects, idempotency records, notifications, the clock
// offset). Changes are saved in the background at most every saveDelay and on
// Close; a crash loses at most that much. A snapshot is simpler than a
// journal and fast enough for an emulator's object counts.
const saveDelay = 200 * time.Millisecond

// snapshot is the persisted document.
type snapshot struct {
	Version     int           `json:"version"`
	Keys        []Key         `json:"keys"`
	State       *state        `json:"state"`
	ClockOffset time.Duration `json:"clockOffset"`
	SavedAt     time.Time     `json:"savedAt"`
}

type persister struct {
	db    *sql.DB
	dirty chan struct{}
}

func openPersister(path string) (*persister, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("emulator: open state %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS emulator_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL, saved_at TEXT NOT NULL)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("emulator: prepare state %s: %w", path, err)
	}
	return &persister{db: db, dirty: make(chan struct{}, 1)}, nil
}

func (p *persister) close() error { return p.db.Close() }

// markDirty asks the saver to write the state soon.
func (s *Server) markDirty() {
	if s.persist == nil {
		return
	}
	select {
	case s.persist.dirty <- struct{}{}:
	default:
	}
}

// saver writes the snapshot after changes, at most every saveDelay.
func (s *Server) saver() {
	defer s.done.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.persist.dirty:
		}
		select {
		case <-s.stop:
			return
		case <-time.After(saveDelay):
		}
		if err := s.save(); err != nil {
			s.log.Error("emulator: saving state", "error", err)
		}
	}
}

// save writes the snapshot; the JSON is built under the lock, written after.
func (s *Server) save() error {
	s.mu.Lock()
	s.settleDeliveries()
	snap := snapshot{Version: 1, Keys: s.keys.list(), State: s.st, ClockOffset: s.clock.Offset(), SavedAt: time.Now().UTC()}
	data, err := json.Marshal(snap)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("emulator: encode state: %w", err)
	}
	_, err = s.persist.db.Exec(`INSERT INTO emulator_state (id, data, saved_at) VALUES (1, ?, ?)
		ON CONFLICT(id) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`, string(data), snap.SavedAt.Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("emulator: write state: %w", err)
	}
	return nil
}

// load reads the snapshot, if any, into the server (called by New).
func (s *Server) load() error {
	var data string
	err := s.persist.db.QueryRow(`SELECT data FROM emulator_state WHERE id = 1`).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("emulator: read state: %w", err)
	}
	snap := snapshot{State: newState()}
	if err := json.Unmarshal([]byte(data), &snap); err != nil {
		return fmt.Errorf("emulator: decode state: %w", err)
	}
	for _, k := range snap.Keys {
		if _, err := s.keys.add(k); err != nil {
			return fmt.Errorf("emulator: saved key %s: %w", k.PublicKeyID, err)
		}
	}
	fresh := newState()
	fillNilMaps(snap.State, fresh)
	s.st = snap.State
	if snap.ClockOffset > 0 {
		s.clock.advance(snap.ClockOffset)
	}
	s.rebuildTimers()
	for _, n := range s.st.Notifications {
		if n.Status == "queued" {
			s.unsent = append(s.unsent, n)
		}
	}
	return nil
}
