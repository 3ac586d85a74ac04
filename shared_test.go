package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the project's shared material, beside the repository. Only the tests
// in this file read it; every other test reads the copies under testdata/.
const sharedDir = "../shared"

// needShared skips the test when the shared material is absent (a clone of the
// repository alone), and fails it under CI, where it is laid beside the clone.
func needShared(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: %v", sharedDir, err)
		}
		t.Skipf("%s is not beside the repository", sharedDir)
	}
}

// TestTestdataMatchesShared checks that testdata/acceptance is an exact copy of
// shared/acceptance, so the tests that read the copy test what the project agreed.
func TestTestdataMatchesShared(t *testing.T) {
	needShared(t)
	src := filepath.Join(sharedDir, "acceptance")
	n := 0
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join("testdata", "acceptance", rel))
		if err != nil {
			t.Errorf("testdata lacks %s: %v (copy shared/acceptance into testdata/acceptance)", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/acceptance/%s differs from shared/acceptance/%s: copy it again", rel, rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no files under %s", src)
	}
}
