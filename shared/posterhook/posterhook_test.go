package posterhook_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stolik/stolik/shared/posterhook"
)

func TestVerify(t *testing.T) {
	data, err := os.ReadFile("testdata/webhook.json")
	if err != nil {
		t.Fatal(err)
	}
	nodata, err := os.ReadFile("testdata/webhook-nodata.json")
	if err != nil {
		t.Fatal(err)
	}
	w, err := posterhook.Verify(data, "s3cret")
	if err != nil {
		t.Fatalf("verify with data: %v", err)
	}
	if w.Object != "incoming_order" || w.ObjectID != "43" || w.Action != "changed" ||
		w.Data != `{"status":1}` {
		t.Errorf("webhook = %+v", w)
	}
	if _, err := posterhook.Verify(nodata, "s3cret"); err != nil {
		t.Errorf("verify without data: %v", err)
	}

	if _, err := posterhook.Verify(data, "other"); !errors.Is(err, posterhook.ErrBadSignature) {
		t.Errorf("wrong secret: err = %v, want ErrBadSignature", err)
	}
	tampered := strings.Replace(string(data), `"changed"`, `"removed"`, 1)
	_, err = posterhook.Verify([]byte(tampered), "s3cret")
	if !errors.Is(err, posterhook.ErrBadSignature) {
		t.Errorf("tampered action: err = %v, want ErrBadSignature", err)
	}
	for _, bad := range []string{
		`not json`, `{}`, `{"account":"a","object":"x","action":"added"}`,
	} {
		if _, err := posterhook.Verify([]byte(bad), "s3cret"); err == nil ||
			errors.Is(err, posterhook.ErrBadSignature) ||
			!strings.Contains(err.Error(), "poster webhook") {
			t.Errorf("Verify(%s) = %v, want a malformed-body error", bad, err)
		}
	}
}

func TestSign(t *testing.T) {
	// md5("a;incoming_order;1;added;100;s"), computed apart.
	const want = "acf427f37068aa185266a02c7860f492"
	got := posterhook.Sign("a", "incoming_order", "1", "added", nil, "100", "s")
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	d := ""
	if posterhook.Sign("a", "incoming_order", "1", "added", &d, "100", "s") == got {
		t.Error("an empty data field did not change the signature")
	}
}

func TestVerifyObjectData(t *testing.T) {
	// md5(`a;incoming_order;1;added;{"status":1};100;s`), computed apart.
	body := `{"account":"a","object":"incoming_order","object_id":1,"action":"added",` +
		`"time":100,"data":{"status":1},"verify":"4e10680b177ea7257027f5a746d97af8"}`
	if _, err := posterhook.Verify([]byte(body), "s"); err != nil {
		t.Errorf("data as an object: %v", err)
	}
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func FuzzVerify(f *testing.F) {
	f.Add(readFile(f, "testdata/webhook.json"), "s3cret")
	f.Add(readFile(f, "testdata/webhook-nodata.json"), "s3cret")
	f.Add([]byte(`{"account":1}`), "")
	f.Fuzz(func(t *testing.T, b []byte, secret string) {
		w, err := posterhook.Verify(b, secret)
		if err == nil && w.Verify == "" {
			t.Error("accepted without verify")
		}
	})
}
