package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
)

// CheckItem is one line of a check report: what was checked, what was
// found, and, when it failed, the next step.
type CheckItem struct {
	Name   agent.Text
	OK     bool
	Detail agent.Text
	Fix    agent.Text
	// Notes are further lines under the item, the same in both languages
	// (hall and table names as the RMS spells them).
	Notes []string
}

// Report is what `stolik-agent check` found, in order.
type Report struct {
	Items []CheckItem
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	return !slices.ContainsFunc(r.Items, func(i CheckItem) bool { return !i.OK })
}

// Failed counts the checks that did not pass.
func (r Report) Failed() int {
	n := 0
	for _, i := range r.Items {
		if !i.OK {
			n++
		}
	}
	return n
}

// Languages a report can be written in.
const (
	LangEN   = "en"
	LangRU   = "ru"
	LangBoth = "" // Russian first, then English, line by line
)

// Write prints the report for a person: one line per check, the next
// step under each failure.
func (r Report) Write(w io.Writer, lang string) {
	// lines gives the item's name and detail in the languages asked for:
	// one line, or Russian then English where the two differ.
	lines := func(it CheckItem) []string {
		line := func(name, detail string) string {
			if detail == "" {
				return name
			}
			return name + ": " + detail
		}
		ru, en := line(it.Name.RU, it.Detail.RU), line(it.Name.EN, it.Detail.EN)
		switch {
		case lang == LangEN:
			return []string{en}
		case lang == LangRU:
			return []string{ru}
		case ru == en:
			return []string{en}
		}
		return []string{ru, en}
	}
	for _, it := range r.Items {
		mark := "ok  "
		if !it.OK {
			mark = "FAIL"
		}
		for _, l := range lines(it) {
			fmt.Fprintln(w, mark+" "+l)
			mark = "    "
		}
		for _, n := range it.Notes {
			fmt.Fprintln(w, "       "+n)
		}
		if !it.OK {
			fix := it.Fix
			if fix.EN == "" {
				fix = agent.Text{EN: "read the error above", RU: "прочитайте ошибку выше"}
			}
			switch lang {
			case LangEN:
				fmt.Fprintln(w, "     next step: "+fix.EN)
			case LangRU:
				fmt.Fprintln(w, "     что делать: "+fix.RU)
			default:
				fmt.Fprintln(w, "     что делать: "+fix.RU)
				fmt.Fprintln(w, "     next step:  "+fix.EN)
			}
		}
	}
	n := r.Failed()
	switch {
	case n == 0 && lang == LangEN:
		fmt.Fprintln(w, "all is well")
	case n == 0 && lang == LangRU:
		fmt.Fprintln(w, "всё в порядке")
	case n == 0:
		fmt.Fprintln(w, "всё в порядке / all is well")
	case lang == LangEN:
		fmt.Fprintf(w, "%d of %d checks failed\n", n, len(r.Items))
	case lang == LangRU:
		fmt.Fprintf(w, "не пройдено проверок: %d из %d\n", n, len(r.Items))
	default:
		fmt.Fprintf(w, "не пройдено проверок: %d из %d / %d of %d checks failed\n",
			n, len(r.Items), n, len(r.Items))
	}
}

// Check looks at everything the agent needs, as `stolik-agent check`
// does: the data directory, each hub address, and the RMS through the
// configured connector (halls and tables, open orders, reservations,
// whether it can write). It never writes to the RMS.
func Check(ctx context.Context, c config.Config) Report {
	var r Report
	r.Items = append(r.Items, checkDataDir(c.DataDir))
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range c.Hub.URLs {
		r.Items = append(r.Items, checkHub(ctx, client, u))
	}
	r.Items = append(r.Items, checkRMS(ctx, c)...)
	return r
}

func checkDataDir(dir string) CheckItem {
	it := CheckItem{
		Name: agent.Text{EN: "data directory " + dir, RU: "папка данных " + dir},
		OK:   true,
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
	case errors.Is(err, os.ErrNotExist):
		it.Detail = agent.Text{EN: "created at the first start", RU: "будет создана при первом запуске"}
	case err == nil:
		it.OK = false
		it.Detail = agent.Text{EN: "is a file, not a directory", RU: "это файл, а не папка"}
		it.Fix = agent.Text{EN: "set data_dir in agent.yaml to a directory",
			RU: "укажите в data_dir файла agent.yaml папку"}
	default:
		it.OK = false
		it.Detail = agent.Text{EN: err.Error(), RU: err.Error()}
		it.Fix = agent.Text{
			EN: "give the service account read and write access to it",
			RU: "дайте учётной записи службы права на чтение и запись в неё"}
	}
	return it
}

func checkHub(ctx context.Context, client *http.Client, u string) CheckItem {
	it := CheckItem{Name: agent.Text{EN: "hub " + u, RU: "хаб " + u}, OK: true,
		Detail: agent.Text{EN: "answers", RU: "отвечает"}}
	if err := pingHub(ctx, client, u); err != nil {
		it.OK = false
		it.Detail = agent.Text{EN: err.Error(), RU: err.Error()}
		it.Fix = agent.Text{
			EN: "check the address in hub.urls and that this server may connect out to it " +
				"(port 443 for https/wss; a proxy or firewall may block it)",
			RU: "проверьте адрес в hub.urls и что этому серверу разрешены исходящие " +
				"соединения к нему (порт 443 для https/wss; их может закрывать прокси или firewall)"}
	}
	return it
}

// pingHub asks a hub's /healthz whether it is up.
func pingHub(ctx context.Context, client *http.Client, hubURL string) error {
	base, err := HubBase(hubURL)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz answered %s; is it a Stolik hub?", resp.Status)
	}
	return nil
}

// seatsUnknown is a connector whose RMS may not give every table's seat
// count (Poster): it lists the tables' numbers that have the configured one.
type seatsUnknown interface {
	SeatsUnknown() []string
}

func checkRMS(ctx context.Context, c config.Config) []CheckItem {
	kind := c.Connector.Kind
	name := agent.Text{EN: "RMS (" + kind + ")", RU: "RMS (" + kind + ")"}
	// The connector's own log lines would crowd the report: its errors
	// are what check shows.
	conn, err := NewConnector(c, slog.New(slog.DiscardHandler))
	if err != nil {
		return []CheckItem{failed(name, err)}
	}
	if cl, ok := conn.(io.Closer); ok {
		defer cl.Close()
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := conn.Snapshot(rctx)
	if err != nil {
		return []CheckItem{failed(name, err)}
	}

	tables := CheckItem{Name: name, OK: true, Detail: agent.Text{
		EN: fmt.Sprintf("%d halls, %d tables", len(st.Halls), len(st.Tables)),
		RU: fmt.Sprintf("%s, %s", ru(len(st.Halls), "зал", "зала", "залов"),
			ru(len(st.Tables), "стол", "стола", "столов")),
	}}
	for _, h := range st.Halls {
		var nums []string
		for _, t := range st.Tables {
			if t.HallID == h.ID {
				nums = append(nums, t.Number)
			}
		}
		if len(nums) > 12 {
			nums = append(nums[:12], "…")
		}
		tables.Notes = append(tables.Notes, fmt.Sprintf("%s: %s", h.Name, strings.Join(nums, ", ")))
	}
	if u, ok := conn.(seatsUnknown); ok {
		if nums := u.SeatsUnknown(); len(nums) > 0 {
			if len(nums) > 12 {
				nums = append(nums[:12], "…")
			}
			tables.Notes = append(tables.Notes, "seats unknown, the configured count used / "+
				"число мест неизвестно, взято из настроек: "+strings.Join(nums, ", "))
		}
	}
	if len(st.Tables) == 0 {
		tables.OK = false
		tables.Fix = agent.Text{
			EN: "the RMS shows no tables: check that the halls are set up in the RMS " +
				"and that the account the agent uses may see them",
			RU: "RMS не показывает столов: проверьте, что залы настроены в RMS и что " +
				"учётной записи агента разрешено их видеть"}
	}

	busy := map[string]bool{}
	for _, o := range st.Orders {
		for _, id := range o.TableIDs {
			busy[id] = true
		}
	}
	orders := CheckItem{
		Name: agent.Text{EN: "occupancy", RU: "занятость"}, OK: true,
		Detail: agent.Text{
			EN: fmt.Sprintf("%d open orders on %d tables", len(st.Orders), len(busy)),
			RU: fmt.Sprintf("%s на %d из %d столов",
				ru(len(st.Orders), "открытый заказ", "открытых заказа", "открытых заказов"),
				len(busy), len(st.Tables)),
		},
	}

	ahead := 0
	var next time.Time
	now := time.Now()
	for _, r := range st.Reservations {
		if r.Start.After(now) {
			ahead++
			if next.IsZero() || r.Start.Before(next) {
				next = r.Start
			}
		}
	}
	resv := CheckItem{
		Name: agent.Text{EN: "reservations", RU: "брони"}, OK: true,
		Detail: agent.Text{
			EN: fmt.Sprintf("%d in the RMS, %d ahead", len(st.Reservations), ahead),
			RU: fmt.Sprintf("в RMS %d, впереди %d", len(st.Reservations), ahead),
		},
	}
	if !next.IsZero() {
		resv.Notes = []string{"next / ближайшая: " + venueTime(conn, next)}
	}

	writes := CheckItem{Name: agent.Text{EN: "bookings", RU: "бронирования"}, OK: true}
	if _, ok := conn.(agent.ReservationWriter); ok {
		writes.Detail = agent.Text{
			EN: "the agent writes bookings into the RMS",
			RU: "агент записывает брони в RMS"}
	} else {
		writes.Detail = agent.Text{
			EN: "read only: staff confirm each booking (manual confirmation)",
			RU: "только чтение: каждую бронь подтверждает персонал (ручное подтверждение)"}
	}
	return []CheckItem{tables, orders, resv, writes}
}

// venueTime writes t as staff read it: in the venue's zone when the
// connector knows it, else in this computer's, with the zone named.
func venueTime(conn agent.Connector, t time.Time) string {
	loc := time.Local
	if z, ok := conn.(interface{ Location() *time.Location }); ok && z.Location() != nil {
		loc = z.Location()
	}
	return t.In(loc).Format("2006-01-02 15:04") + " (" + loc.String() + ")"
}

func failed(name agent.Text, err error) CheckItem {
	fix, _ := agent.FixOf(err)
	if fix.EN == "" {
		fix = agent.Text{
			EN: "check that the RMS server is running and reachable from this server, and " +
				"the connector's address and credentials in agent.yaml",
			RU: "проверьте, что сервер RMS работает и доступен с этого сервера, а также " +
				"адрес и учётные данные коннектора в agent.yaml"}
	}
	return CheckItem{Name: name, Detail: agent.Text{EN: err.Error(), RU: err.Error()}, Fix: fix}
}

// ru writes n with the Russian form of the noun it takes: 1 стол,
// 2 стола, 5 столов, 21 стол, 11 столов.
func ru(n int, one, few, many string) string {
	form := many
	switch m10, m100 := n%10, n%100; {
	case m100 >= 11 && m100 <= 14:
	case m10 == 1:
		form = one
	case m10 >= 2 && m10 <= 4:
		form = few
	}
	return fmt.Sprintf("%d %s", n, form)
}
