package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
)

// notice records a staff notice for the venue's dashboard page, where it
// stays until staff mark it done. The same notice twice (its id) is kept
// once: a button pressed again, or an update Telegram delivers again,
// adds nothing.
func (b *Bot) notice(ctx context.Context, n hub.Notice) error {
	n.CreatedAt = b.now().UTC()
	err := b.store.PutNotice(ctx, n)
	if err != nil && !errors.Is(err, hub.ErrExists) {
		return fmt.Errorf("record staff notice %s: %w", n.ID, err)
	}
	return nil
}

// lateNotice is the notice of a guest running late: one per booking.
func lateNotice(bk hub.Booking) hub.Notice {
	return hub.Notice{ID: "late/" + bk.ID, VenueID: bk.VenueID, Kind: hub.NoticeLate,
		BookingID: bk.ID, GuestName: firstName(bk.Name), Party: bk.Party,
		Wanted: bk.Start.UTC()}
}

// largeNotice is the notice of a large party's request made in flow f:
// one per flow. Its id is a hash of the flow's message key, which holds
// the guest's chat id: the id, shown in the page, says nothing of them.
func largeNotice(f flow, zone *time.Location) hub.Notice {
	sum := sha256.Sum256([]byte(f.MsgKey + "/" + f.Token))
	n := hub.Notice{ID: "large/" + hex.EncodeToString(sum[:8]), VenueID: f.VenueID,
		Kind: hub.NoticeLargeParty, GuestName: firstName(f.Name), Phone: f.Phone,
		Comment: f.Comment, Party: f.Party}
	if d, err := booking.ParseDate(f.Date); err == nil {
		n.Wanted = d.Start(zone).UTC()
	}
	return n
}

// firstName is the first word of the name a guest gave: all a notice
// keeps of it.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}
