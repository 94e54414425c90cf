package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/web"
)

const posterSecret = "s3cret-poster-app"

func TestPosterSignature(t *testing.T) {
	// Worked out by hand from Poster's rule: md5 of the fields joined by
	// semicolons, data only when present, the secret last.
	for want, w := range map[string]web.PosterWebhook{
		"4f4dd510ba553cc8a1327995ddeed693": {Account: "mykitchen", Object: "incoming_order",
			ObjectID: []byte(`42`), Action: "changed", Time: []byte(`"1700000000"`)},
		"b408c5589fd25ebcde41ba6083a50833": {Account: "mykitchen", Object: "transaction",
			ObjectID: []byte(`"7"`), Action: "added", Time: []byte(`1700000100`),
			Data: `{"table_id":3}`},
	} {
		if got := web.PosterSignature(w, posterSecret); got != want {
			t.Errorf("signature of %+v = %s, want %s", w, got, want)
		}
	}
}

func TestPosterHook(t *testing.T) {
	srv, st, f := hookSetup(t, hookSecret)
	url := srv.URL + "/hooks/poster/ven_1"
	good := `{"account":"mykitchen","account_number":"12345","object":"incoming_order",` +
		`"object_id":42,"action":"changed","time":"1700000000",` +
		`"verify":"4f4dd510ba553cc8a1327995ddeed693"}`

	forged := strings.Replace(good, `"object_id":42`, `"object_id":43`, 1)
	if code, body := postHook(t, url, "", forged); code != http.StatusUnauthorized {
		t.Errorf("forged webhook: %d %s, want 401", code, body)
	}
	for _, bad := range []string{`[]`, `{`, `{"account":"x"}`} {
		if code, body := postHook(t, url, "", bad); code != http.StatusBadRequest ||
			!strings.Contains(body, "not a Poster webhook") {
			t.Errorf("body %s: %d %s, want 400 naming the shape", bad, code, body)
		}
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 0 {
		t.Fatalf("%d polls pending after bad calls, want 0", n)
	}

	code, body := postHook(t, url, "", good)
	if code != http.StatusOK || !strings.Contains(body, `"queued"`) {
		t.Fatalf("good webhook: %d %s, want 200 queued", code, body)
	}
	if n := len(pendingPolls(t, st, "agt_on")); n != 1 || len(f.poked) != 1 {
		t.Errorf("%d polls pending, %d pokes; want 1 and 1", n, len(f.poked))
	}

	// Objects that say nothing about tables or reservations poll nothing.
	other := `{"account":"mykitchen","object":"spot","object_id":1,"action":"changed",` +
		`"time":"1","verify":"` + web.PosterSignature(web.PosterWebhook{Account: "mykitchen",
		Object: "spot", ObjectID: []byte(`1`), Action: "changed", Time: []byte(`"1"`)},
		posterSecret) + `"}`
	if code, body := postHook(t, url, "", other); code != http.StatusOK || strings.Contains(body, "poll") {
		t.Errorf("spot webhook: %d %s, want 200 without a poll", code, body)
	}

	off, _, _ := hookSetup(t, "")
	if code, _ := postHook(t, off.URL+"/hooks/poster/ven_1", "", good); code != http.StatusNotFound {
		t.Errorf("without a secret: %d, want 404", code)
	}
}
