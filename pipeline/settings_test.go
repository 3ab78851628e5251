package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func TestSettingsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, found, err := ReadSettings(dir)
	if err != nil || found || s != DefaultSettings() {
		t.Fatalf("no file: %+v, %v, %v", s, found, err)
	}
	want := Settings{Schedule: "square", TotalIter: 12, SweetSpot: 2, Temperature: 3, Order: "halton", Sample: true,
		Dilate: true, Composite: "hard", Prefill: "grey", Seed: 9, Note: "test"}
	if err := WriteSettings(dir, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := ReadSettings(dir)
	if err != nil || !found || got != want {
		t.Fatalf("read back %+v, %v, %v; want %+v", got, found, err, want)
	}
	opt, err := got.Options(7)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Decode.Steps != 12 || opt.Decode.SweetSpot != 2 || opt.Decode.Order != inpaint.OrderHalton || !opt.Decode.Sample ||
		opt.Decode.Batch != 7 || opt.Seed != 9 || !opt.Dilate || opt.Composite != inpaint.CompositeHard ||
		opt.Prefill != inpaint.PrefillGrey {
		t.Errorf("options %+v", opt)
	}
}

func TestReadSettingsPartialAndBad(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"sweet_spot": 2}`)
	s, found, err := ReadSettings(dir)
	want := DefaultSettings()
	want.SweetSpot = 2
	if err != nil || !found || s != want {
		t.Errorf("partial file: %+v, %v, %v", s, found, err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"sweetspot": 2}`, "unknown field"},
		{`{"composite": "feather"}`, "composite"},
		{`{"prefill": "gray"}`, "prefill"},
		{`{"total_iter": 4, "sweet_spot": 5}`, "SweetSpot"},
		{`{`, "inpaint.json"},
	} {
		write(tc.body)
		if _, _, err := ReadSettings(dir); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), SettingsFile) {
			t.Errorf("%s: err = %v, want one naming the file and %q", tc.body, err, tc.want)
		}
	}
	if err := WriteSettings(dir, Settings{Schedule: "nope"}); err == nil {
		t.Error("invalid settings written")
	}
}
