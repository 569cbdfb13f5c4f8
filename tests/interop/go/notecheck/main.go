// Command notecheck checks bwledger's checkpoints and proofs with Go's golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, an implementation nobody on the project wrote (tests/ledger/test_go_interop.py).
//
// Built with the Debian packages golang-go and golang-golang-x-mod-dev, without modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o notecheck ./tests/interop/go/notecheck
//
// Modes (the input on stdin):
//
//	notecheck open VKEY        a signed note: note.Open with the verifier key VKEY; prints the note's text
//	                           and the names of the keys that verified it, as JSON
//	notecheck checktree        JSON {"oldSize", "oldRoot", "newSize", "newRoot", "proof": [base64]}:
//	                           tlog.CheckTree; prints {"ok": true} or exits 1 with the error
//	notecheck tree             JSON {"leafHashes": [base64], "sizes": [n...]}: the tree Go builds from those
//	                           record hashes (tlog.StoredHashesForRecordHash), and per size n its root
//	                           (tlog.TreeHash) and the proof from every smaller size (tlog.ProveTree)
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "notecheck: "+format+"\n", args...)
	os.Exit(1)
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		fail("not a base64 SHA-256 hash: %q", s)
	}
	copy(h[:], b)
	return h
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// hashStore is an in-memory tlog.HashReader over the stored hashes of a tree.
type hashStore []tlog.Hash

func (s hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = s[x]
	}
	return out, nil
}

func openNote(vkey string, msg []byte) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note.Open: %v", err)
	}
	var names []string
	for _, s := range n.Sigs {
		names = append(names, s.Name)
	}
	out, _ := json.Marshal(map[string]interface{}{"text": n.Text, "verifiedBy": names,
		"unverified": len(n.UnverifiedSigs)})
	fmt.Println(string(out))
}

func checkTree(in []byte) {
	var req struct {
		OldSize int64    `json:"oldSize"`
		OldRoot string   `json:"oldRoot"`
		NewSize int64    `json:"newSize"`
		NewRoot string   `json:"newRoot"`
		Proof   []string `json:"proof"`
	}
	if err := json.Unmarshal(in, &req); err != nil {
		fail("input: %v", err)
	}
	var p tlog.TreeProof
	for _, s := range req.Proof {
		p = append(p, hash(s))
	}
	if err := tlog.CheckTree(p, req.NewSize, hash(req.NewRoot), req.OldSize, hash(req.OldRoot)); err != nil {
		fail("tlog.CheckTree: %v", err)
	}
	fmt.Println(`{"ok": true}`)
}

func tree(in []byte) {
	var req struct {
		LeafHashes []string `json:"leafHashes"`
		Sizes      []int64  `json:"sizes"`
	}
	if err := json.Unmarshal(in, &req); err != nil {
		fail("input: %v", err)
	}
	var stored hashStore
	for i, s := range req.LeafHashes {
		add, err := tlog.StoredHashesForRecordHash(int64(i), hash(s), stored)
		if err != nil {
			fail("StoredHashesForRecordHash: %v", err)
		}
		stored = append(stored, add...)
	}
	type sized struct {
		Root   string              `json:"root"`
		Proofs map[string][]string `json:"proofs"` // from size m (as text) to this size
	}
	out := map[string]sized{}
	for _, n := range req.Sizes {
		root, err := tlog.TreeHash(n, stored)
		if err != nil {
			fail("TreeHash(%d): %v", n, err)
		}
		proofs := map[string][]string{}
		for m := int64(1); m <= n; m++ {
			p, err := tlog.ProveTree(n, m, stored)
			if err != nil {
				fail("ProveTree(%d, %d): %v", n, m, err)
			}
			list := []string{}
			for _, h := range p {
				list = append(list, b64(h))
			}
			proofs[fmt.Sprint(m)] = list
		}
		out[fmt.Sprint(n)] = sized{b64(root), proofs}
	}
	data, _ := json.Marshal(out)
	fmt.Println(string(data))
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: notecheck open VKEY | checktree | tree (input on stdin)")
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("stdin: %v", err)
	}
	switch os.Args[1] {
	case "open":
		if len(os.Args) != 3 {
			fail("usage: notecheck open VKEY < note")
		}
		openNote(os.Args[2], in)
	case "checktree":
		checkTree(in)
	case "tree":
		tree(in)
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
