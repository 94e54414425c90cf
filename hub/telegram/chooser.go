package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/stolik/stolik/hub"
)

// venuesPerPage is how many venues one page of the chooser lists.
const venuesPerPage = 8

// chainPrefix starts a deep link's payload that names a chain
// (t.me/<bot>?start=c_<chain>); any other payload is a venue id.
const chainPrefix = "c_"

// ChainLink is the payload of the deep link that offers a chain's venues.
func ChainLink(chain string) string { return chainPrefix + chain }

// startVenue reads /start's payload: the venue it names (zero when the
// guest must choose), with the chooser's list and question set in the
// flow (s.f.Chain) and s.pick.
func (b *Bot) startVenue(ctx context.Context, s *session, payload string) (hub.Venue, error) {
	s.pick = "start.ask_link"
	if chain, ok := strings.CutPrefix(payload, chainPrefix); ok && hub.ValidChain(chain) {
		venues, err := b.store.Venues(ctx)
		if err != nil {
			return hub.Venue{}, err
		}
		switch list := hub.ChainVenues(venues, chain); len(list) {
		case 0:
			s.pick = "start.unknown_chain"
		case 1:
			return list[0], nil
		default:
			s.f.Chain, s.pick = chain, "start.choose_chain"
		}
		return hub.Venue{}, nil
	}
	if payload != "" {
		v, err := b.store.Venue(ctx, payload)
		if err == nil || !errors.Is(err, hub.ErrNotFound) {
			return v, err
		}
		s.pick = "start.unknown_venue"
		return hub.Venue{}, nil
	}
	// A hub with one venue needs no chooser.
	venues, err := b.store.Venues(ctx)
	if err != nil {
		return hub.Venue{}, err
	}
	if len(venues) == 1 {
		return venues[0], nil
	}
	return hub.Venue{}, nil
}

// showVenues shows page page of the chooser: the chain's venues, or every
// venue of the hub, venuesPerPage to a page with buttons to the others.
func (b *Bot) showVenues(ctx context.Context, s *session, page int) error {
	venues, err := b.store.Venues(ctx)
	if err != nil {
		return err
	}
	if s.f.Chain != "" {
		venues = hub.ChainVenues(venues, s.f.Chain)
	}
	if len(venues) == 0 {
		s.f.Step = stepDone
		return b.show(ctx, s, b.cat.T(s.lang, "start.no_venues"), nil)
	}
	pages := (len(venues) + venuesPerPage - 1) / venuesPerPage
	page = min(page, pages-1)
	var rows [][]button
	for _, v := range venues[page*venuesPerPage : min(len(venues), (page+1)*venuesPerPage)] {
		rows = append(rows, []button{{v.Name, data(cbVenue, s.f.Token, v.ID)}})
	}
	var nav []button
	if page > 0 {
		nav = append(nav, button{b.cat.T(s.lang, "venues.prev"),
			data(cbVenues, s.f.Token, strconv.Itoa(page-1))})
	}
	if page < pages-1 {
		nav = append(nav, button{b.cat.T(s.lang, "venues.next"),
			data(cbVenues, s.f.Token, strconv.Itoa(page+1))})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	key := s.pick
	if key == "" {
		key = "start.choose_venue"
		if s.f.Chain != "" {
			key = "start.choose_chain"
		}
	}
	text := b.cat.T(s.lang, key)
	if pages > 1 {
		text += "\n" + b.cat.T(s.lang, "venues.page", "page", page+1, "pages", pages)
	}
	return b.show(ctx, s, text, rows)
}
