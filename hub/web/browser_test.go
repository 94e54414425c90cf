package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// chromium returns the browser to drive: skipped when there is none,
// unless STOLIK_REQUIRE_BROWSER is set (CI), where a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("STOLIK_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH and STOLIK_REQUIRE_BROWSER is set: " +
			"apt-get install -y chromium")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); set STOLIK_REQUIRE_BROWSER=1 " +
		"to fail instead")
	return ""
}

// artifacts is where screenshots go: $STOLIK_ARTIFACTS, or a temporary
// directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("STOLIK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	mustDo(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestBrowser drives the dashboard in headless Chromium against a hub with
// a live agent on a fake iiko: sign in, see the fleet, open the venue,
// watch the one table a waiter opens an order on turn occupied, book by
// phone and confirm the booking.
func TestBrowser(t *testing.T) {
	path := chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	h := newLiveHub(t)
	rms := h.startIikoAgent()
	out := artifacts(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	occupied := func() []string {
		t.Helper()
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("g.table.occupied")).map(g => g.id)`))
		if err != nil {
			t.Fatalf("read the floor: %v", err)
		}
		return ids
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string, sel chromedp.CSS) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.Screenshot(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(out, name)
		mustDo(t, os.WriteFile(file, png, 0o644))
		t.Logf("screenshot: %s", file)
	}

	run("sign-in page",
		chromedp.Navigate(h.srv.URL+"/fleet"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	checkA11y(t, ctx, "sign-in page")
	run("sign in",
		chromedp.SendKeys(chromedp.ID("email"), "support@stolik.ru"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("fleet")),
	)
	fleetText := text("#fleet")
	if !strings.Contains(fleetText, "agt_a") || !strings.Contains(fleetText, "connected") {
		t.Errorf("fleet does not show agt_a connected:\n%s", fleetText)
	}
	shot("fleet.png", "body")
	checkA11y(t, ctx, "fleet page")

	// While the page stays open, agent B's RMS fails and a change of B's
	// arrives (the sampler sees its count grow): the row says so without
	// a reload.
	row := `#agent-agt_b `
	if got := text(chromedp.CSS(row + `[data-field=last_change]`)); got != "never" {
		t.Fatalf("agt_b's last change before any: %q, want never", got)
	}
	bg := context.Background()
	mustDo(t, h.api.SampleAgents(bg))
	table, _ := json.Marshal(wire.Table{ID: "t-b1", HallID: "h-b", Number: "1", Seats: 2})
	_, err := h.store.ApplyBatch(bg, "agt_b", []wire.Event{{Seq: 1, Entity: wire.EntityTable,
		ID: "t-b1", Op: wire.OpUpsert, Data: table}})
	mustDo(t, err)
	mustDo(t, h.store.UpdateAgentStatus(bg, "agt_b", hub.AgentStatus{Connector: "iiko",
		LastSeen: time.Now().UTC(), Health: wire.ConnectorHealth{
			Error: "iiko: 401 Unauthorized: check the API key"}}))
	mustDo(t, h.api.SampleAgents(bg))
	deadline := time.Now().Add(10 * time.Second)
	for {
		rms, last := text(chromedp.CSS(row+`[data-field=rms]`)), text(chromedp.CSS(row+`[data-field=last_change]`))
		if strings.Contains(rms, "401 Unauthorized") && strings.HasSuffix(last, "s") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet row of agt_b not updated live: RMS %q, last change %q", rms, last)
		}
		time.Sleep(200 * time.Millisecond)
	}

	run("open the venue",
		chromedp.Click(chromedp.CSS(`a[href="/venues/ven_a"]`)),
		chromedp.WaitVisible(chromedp.CSS("#floor svg")),
	)
	if before := occupied(); len(before) != 0 {
		t.Fatalf("tables occupied before any order: %v", before)
	}
	// A waiter opens an order on one named table in the RMS; the agent
	// reads it and the page's script shows it without a reload, on that
	// table only.
	tables := rms.Tables()
	turned := "table-" + tables[len(tables)-1]
	rms.OpenOrder(tables[len(tables)-1], 2)
	deadline = time.Now().Add(15 * time.Second)
	for {
		ids := occupied()
		if len(ids) == 1 && ids[0] == turned {
			break
		}
		if len(ids) > 1 || len(ids) == 1 && ids[0] != turned {
			t.Fatalf("occupied tables %v after an order on %s alone", ids, turned)
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s not shown occupied within 15s of its order", turned)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("table %s turned occupied", turned)
	shot("floor.png", "#floor")

	// A phone booking for tomorrow at 12:00; the venue is in manual mode,
	// so it waits for staff to confirm it.
	tomorrow := time.Now().In(mustZone(t, "Europe/Moscow")).AddDate(0, 0, 1).
		Format("2006-01-02") + "T12:00"
	run("book by phone",
		chromedp.SetValue(chromedp.ID("pb-start"), tomorrow),
		chromedp.SetValue(chromedp.ID("pb-party"), "2"),
		chromedp.SendKeys(chromedp.ID("pb-name"), "Анна"),
		chromedp.SendKeys(chromedp.ID("pb-phone"), "+79990001122"),
		chromedp.Click(chromedp.ID("pb-submit")),
		chromedp.WaitReady(chromedp.ID("bookings")),
	)
	if msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector(".error") || {}).textContent || ""`)); err != nil || msg != "" {
		t.Fatalf("phone booking refused: %q %v", msg, err)
	}
	run("see the booking", chromedp.WaitVisible(chromedp.CSS(`button[id^="confirm-"]`)))
	run("confirm the booking",
		chromedp.Click(chromedp.CSS(`button[id^="confirm-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`td.state-confirmed`)),
	)
	state := text(`td.state-confirmed`)
	if strings.TrimSpace(state) != "confirmed" {
		t.Errorf("booking state %q, want confirmed", state)
	}
	checkA11y(t, ctx, "venue page")
	run("agent page",
		chromedp.Navigate(h.srv.URL+"/agents/agt_a"),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	checkA11y(t, ctx, "agent page")
	run("back to the venue",
		chromedp.Navigate(h.srv.URL+"/venues/ven_a"),
		chromedp.WaitVisible(chromedp.CSS("#floor svg")),
	)

	// At phone width the page fits: nothing wider than the screen.
	run("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("venue page wider than a 390 px phone screen (%v)", err)
	}
	checkFits(t, ctx, "venue page at 390 px")
	phoneShot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		mustDo(t, err)
		file := filepath.Join(out, name)
		mustDo(t, os.WriteFile(file, png, 0o644))
		t.Logf("screenshot: %s", file)
	}
	phoneShot("venue-phone.png")

	// Switched to Russian with the link, the page still fits and labels
	// every control, and the script writes a table's new state in Russian.
	run("switch to Russian",
		chromedp.Click(chromedp.ID("lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ru"] #floor svg`)),
	)
	checkFits(t, ctx, "Russian venue page at 390 px")
	checkA11y(t, ctx, "Russian venue page at 390 px")
	if got := text("#floor-h"); got != "Зал сейчас" {
		t.Errorf("floor heading %q after switching to Russian", got)
	}
	label := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+
			`"#table-`+tables[0]+` text.state").textContent`))
		if err != nil {
			t.Fatalf("read the label of table %s: %v", tables[0], err)
		}
		return s
	}
	if got := label(); got != "свободен" {
		t.Errorf("table %s labelled %q before its order, want свободен", tables[0], got)
	}
	rms.OpenOrder(tables[0], 2)
	deadline = time.Now().Add(15 * time.Second)
	for label() != "занят" {
		if time.Now().After(deadline) {
			t.Fatalf("table %s labelled %q 15s after its order, want занят", tables[0],
				label())
		}
		time.Sleep(100 * time.Millisecond)
	}
	phoneShot("venue-phone-ru.png")
	run("fleet at phone width",
		chromedp.Navigate(h.srv.URL+"/fleet"),
		chromedp.WaitVisible(chromedp.ID("fleet")),
	)
	checkFits(t, ctx, "fleet page at 390 px")
	checkA11y(t, ctx, "fleet page at 390 px")
	// Still in Russian, the fleet's script writes its badges in Russian.
	run("the fleet's script ran", chromedp.WaitReady(chromedp.CSS(
		`#agent-agt_a [data-field=rms][data-shown]`)))
	if got := text(`#agent-agt_a [data-field=connection]`); got != "в сети" {
		t.Errorf("connection of agt_a %q on the Russian fleet page, want в сети", got)
	}
	if got := text(`#agent-agt_a [data-field=rms] .badge`); got != "ок" && got != "ошибка" {
		t.Errorf("RMS badge of agt_a %q on the Russian fleet page, want ок or ошибка", got)
	}
	phoneShot("fleet-phone.png")
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	mustDo(t, err)
	return z
}
