package telegram

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/stolik/stolik/hub/booking"
)

// button is an inline keyboard button.
type button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// inline encodes an inline keyboard; nil rows give no markup at all.
func inline(rows [][]button) json.RawMessage {
	if len(rows) == 0 {
		return nil
	}
	raw, _ := json.Marshal(map[string]any{"inline_keyboard": rows})
	return raw
}

// emptyKeyboard removes the inline keyboard of an edited message.
var emptyKeyboard = json.RawMessage(`{"inline_keyboard":[]}`)

// contactKeyboard asks for the guest's phone with Telegram's contact
// button.
func contactKeyboard(label string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{
		"keyboard":          [][]map[string]any{{{"text": label, "request_contact": true}}},
		"resize_keyboard":   true,
		"one_time_keyboard": true,
	})
	return raw
}

// removeKeyboard takes the contact keyboard away.
var removeKeyboard = json.RawMessage(`{"remove_keyboard":true}`)

// rowsOf lays buttons out n to a row.
func rowsOf(buttons []button, n int) [][]button {
	var rows [][]button
	for len(buttons) > 0 {
		k := min(n, len(buttons))
		rows = append(rows, buttons[:k])
		buttons = buttons[k:]
	}
	return rows
}

// calendarWeeks is how many weeks one page of the calendar shows.
const calendarWeeks = 5

// calendar returns the keyboard of dates from first to last (the venue's
// today and the end of its booking horizon), page by page of whole weeks
// starting on Monday.
func (b *Bot) calendar(lang, token string, first, last booking.Date, page int) [][]button {
	monday := first.AddDays(-((int(first.Weekday()) + 6) % 7))
	start := monday.AddDays(page * 7 * calendarWeeks)
	var rows [][]button
	head := make([]button, 7)
	for i := range 7 {
		head[i] = button{b.cat.T(lang, "wd."+strconv.Itoa((i+1)%7)), data(cbNoop, "")}
	}
	rows = append(rows, head)
	for w := range calendarWeeks {
		row := make([]button, 7)
		for i := range 7 {
			d := start.AddDays(w*7 + i)
			if d.Compare(first) < 0 || d.Compare(last) > 0 {
				row[i] = button{" ", data(cbNoop, "")}
				continue
			}
			row[i] = button{strconv.Itoa(d.Day), data(cbDate, token, compactDate(d))}
		}
		rows = append(rows, row)
	}
	var nav []button
	if page > 0 {
		nav = append(nav, button{b.cat.T(lang, "date.prev"),
			data(cbPage, token, strconv.Itoa(page-1))})
	}
	if start.AddDays(7*calendarWeeks).Compare(last) <= 0 {
		nav = append(nav, button{b.cat.T(lang, "date.next"),
			data(cbPage, token, strconv.Itoa(page+1))})
	}
	nav = append(nav, button{b.cat.T(lang, "btn.abort"), data(cbAbort, token)})
	return append(rows, nav)
}

func compactDate(d booking.Date) string {
	return d.String()[0:4] + d.String()[5:7] + d.String()[8:10]
}

func parseCompactDate(s string) (booking.Date, error) {
	if len(s) != 8 {
		return booking.Date{}, errBadCallback
	}
	return booking.ParseDate(s[0:4] + "-" + s[4:6] + "-" + s[6:8])
}

// maxTimeButtons keeps the time keyboard within Telegram's limits.
const maxTimeButtons = 60

// timeGroups are the parts of the day times are grouped by: a slot belongs
// to the last group whose hour it has reached.
var timeGroups = []struct {
	key  string
	from int
}{{"time.lunch", 0}, {"time.afternoon", 15}, {"time.evening", 18}}

// times returns the keyboard of free start times, grouped into lunch,
// afternoon and evening, each under a label.
func (b *Bot) times(lang, token string, slots []booking.Slot, zone *time.Location) [][]button {
	step := 1
	if len(slots) > maxTimeButtons {
		step = (len(slots) + maxTimeButtons - 1) / maxTimeButtons
	}
	groups := make([][]button, len(timeGroups))
	for i := 0; i < len(slots); i += step {
		local := slots[i].Start.In(zone)
		g := 0
		for j, tg := range timeGroups {
			if local.Hour() >= tg.from {
				g = j
			}
		}
		groups[g] = append(groups[g], button{local.Format("15:04"),
			data(cbTime, token, strconv.FormatInt(slots[i].Start.Unix(), 10))})
	}
	var rows [][]button
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		rows = append(rows, []button{{"— " + b.cat.T(lang, timeGroups[i].key) + " —",
			data(cbNoop, "")}})
		rows = append(rows, rowsOf(g, 4)...)
	}
	return append(rows, []button{{b.cat.T(lang, "time.other_date"), data(cbDates, token)},
		{b.cat.T(lang, "btn.abort"), data(cbAbort, token)}})
}
