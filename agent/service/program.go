package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	ksvc "github.com/kardianos/service"

	"github.com/stolik/stolik/agent/config"
)

// The agent's names in the service manager: the systemd unit is
// stolik-agent.service, the Windows service stolik-agent.
const (
	Name        = "stolik-agent"
	DisplayName = "Stolik agent"
	Description = "Reads the restaurant's RMS and streams every change to the Stolik hub."
)

// Default bounds of a Program.
const (
	DefaultStopTimeout = 15 * time.Second
	DefaultConfigRetry = 10 * time.Second
)

// Program runs the agent as a service: Start begins the work in the
// background and returns at once; Stop ends it within StopTimeout. It
// implements github.com/kardianos/service's Interface.
//
// A Program started by a service manager (Managed) waits out a missing or
// broken config, logging the problems to the system log and reading the
// file again every ConfigRetry, so an agent installed before it is enrolled
// starts by itself once it is. In the foreground a bad config is an error
// at once. Any other failure ends the work; Done is then closed and Err
// says why, so that the process exits non-zero and the service manager's
// restart policy applies.
type Program struct {
	ConfigPath string
	Version    string
	// Managed says a service manager started the process.
	Managed bool
	// Stderr, when set, gets every log line as well as agent.log.
	Stderr io.Writer
	// System records start, stop and fatal errors in the Windows Event Log
	// or the system journal; nil records them nowhere but agent.log.
	System ksvc.Logger
	// StopTimeout bounds Stop; zero means DefaultStopTimeout.
	StopTimeout time.Duration
	// ConfigRetry is how often a managed Program reads a bad config again;
	// zero means DefaultConfigRetry.
	ConfigRetry time.Duration
	// Run runs the agent until its context ends; nil means the package's
	// Run. Tests put a stand-in here.
	Run func(ctx context.Context, c config.Config, version string, log *slog.Logger) error

	mu     sync.Mutex // guards cancel, done and err
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start begins the agent's work in the background. It never blocks.
func (p *Program) Start(ksvc.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return errors.New("agent already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.work(ctx)
	return nil
}

// Stop asks the agent to stop and waits for it at most StopTimeout. It
// returns the error that ended the agent before it was asked to stop, if
// any, or an error when the agent did not stop in time.
func (p *Program) Stop(ksvc.Service) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()

	bound := p.StopTimeout
	if bound <= 0 {
		bound = DefaultStopTimeout
	}
	select {
	case <-done:
	case <-time.After(bound):
		err := fmt.Errorf("agent did not stop within %v; exiting anyway "+
			"(the outbox is safe: every change is committed before it counts)", bound)
		p.system(ksvc.Logger.Error, err.Error())
		return err
	}
	return p.Err()
}

// Done is closed when the agent's work has ended, asked to or not.
func (p *Program) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Err is the error that ended the agent, or nil.
func (p *Program) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Program) work(ctx context.Context) {
	err := p.runAgent(ctx)
	if ctx.Err() != nil {
		err = nil // asked to stop: whatever the agent said on its way out
	}
	if err != nil {
		p.system(ksvc.Logger.Error, "agent failed: "+err.Error())
	} else {
		p.system(ksvc.Logger.Info, "agent stopped")
	}

	p.mu.Lock()
	p.err = err
	close(p.done)
	p.mu.Unlock()
	if err != nil {
		fatal(p)
	}
}

func (p *Program) runAgent(ctx context.Context) error {
	c, err := p.loadConfig(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	log, closeLog := OpenLogger(c, p.Stderr)
	defer closeLog()
	if err := config.Secure(c.DataDir); err != nil {
		log.Warn("cannot restrict access to the data directory", "dir", c.DataDir, "err", err)
	}

	p.system(ksvc.Logger.Info, fmt.Sprintf("agent %s starting: config %s, data %s",
		p.Version, p.ConfigPath, c.DataDir))
	run := p.Run
	if run == nil {
		run = Run
	}
	if err := run(ctx, c, p.Version, log); err != nil {
		log.Error("agent failed", "err", err)
		return err
	}
	return nil
}

// loadConfig reads the config; a managed Program waits until it is valid.
func (p *Program) loadConfig(ctx context.Context) (config.Config, error) {
	retry := p.ConfigRetry
	if retry <= 0 {
		retry = DefaultConfigRetry
	}
	last := ""
	for {
		c, err := config.Load(p.ConfigPath)
		if err == nil || !p.Managed {
			return c, err
		}
		if msg := err.Error(); msg != last {
			p.system(ksvc.Logger.Warning, fmt.Sprintf("waiting for a valid config "+
				"(read again every %v): %s", retry, msg))
			last = msg
		}
		select {
		case <-ctx.Done():
			return c, nil
		case <-time.After(retry):
		}
	}
}

// system writes msg to the system log, if there is one.
func (p *Program) system(level func(ksvc.Logger, ...any) error, msg string) {
	if p.System != nil {
		_ = level(p.System, msg)
	}
}

// Serve runs p until ctx ends or the agent fails. In the foreground it
// starts and stops p itself; under a service manager it hands p to the
// manager (the Windows service control manager; on Linux systemd, whose
// SIGTERM ends ctx).
func Serve(ctx context.Context, p *Program) error {
	if !p.Managed {
		if err := p.Start(nil); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-p.Done():
		}
		return p.Stop(nil)
	}

	sc := SystemConfig(p.ConfigPath)
	sc.Option["RunWait"] = func() { // read by the Unix managers, not by Windows
		select {
		case <-ctx.Done():
		case <-p.Done():
		}
	}
	s, err := ksvc.New(p, sc)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	if p.System == nil {
		p.System = ksvc.ConsoleLogger // stderr, which systemd keeps in the journal
		if l, err := s.SystemLogger(nil); err == nil {
			p.System = l
		}
	}
	prepareManaged(p)
	return s.Run()
}

// NewSystemService returns the agent's service as the system's service
// manager sees it, for install, uninstall, start, stop, restart and status.
func NewSystemService(configPath string) (ksvc.Service, error) {
	s, err := ksvc.New(&Program{ConfigPath: configPath}, SystemConfig(configPath))
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return s, nil
}
