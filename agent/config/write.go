package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"go.yaml.in/yaml/v3"
)

// WriteCredential puts the hub URLs, agent id and secret of h into the
// config file at path. A missing file is created from Template; in an
// existing one every other key and comment is kept. The file is replaced
// atomically, keeps its owner, and is readable by its owner alone (mode
// 0600; on Windows, SYSTEM and Administrators).
func WriteCredential(path string, h Hub) error {
	b, err := os.ReadFile(path)
	var old fs.FileInfo
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b = []byte(Template(runtime.GOOS))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return fmt.Errorf("create config directory: %w", err)
		}
	case err != nil:
		return fmt.Errorf("read config: %w", err)
	default:
		if old, err = os.Stat(path); err != nil {
			return fmt.Errorf("read config: %w", err)
		}
	}

	out, err := setHub(b, h)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if err := writeFile(path, out, old); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// setHub sets hub.urls, hub.agent_id and hub.secret in the YAML document b.
func setHub(b []byte, h Hub) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		if err := yaml.Unmarshal([]byte(Template(runtime.GOOS)), &doc); err != nil {
			return nil, err
		}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a YAML mapping (key: value lines)")
	}
	hub := mapValue(root, "hub", yaml.MappingNode)
	if hub.Kind != yaml.MappingNode {
		return nil, errors.New("hub: is not a mapping; write hub: on its own line, " +
			"its keys indented below it")
	}

	urls := mapValue(hub, "urls", yaml.SequenceNode)
	urls.Kind, urls.Tag, urls.Value, urls.Content = yaml.SequenceNode, "!!seq", "", nil
	for _, u := range h.URLs {
		urls.Content = append(urls.Content, str(u))
	}
	setScalar(mapValue(hub, "agent_id", yaml.ScalarNode), h.AgentID)
	setScalar(mapValue(hub, "secret", yaml.ScalarNode), h.Secret)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mapValue returns the value of key in the mapping m, adding an empty node
// of kind when the key is missing.
func mapValue(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: kind}
	m.Content = append(m.Content, str(key), v)
	return v
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func setScalar(n *yaml.Node, s string) {
	n.Kind, n.Tag, n.Value, n.Content, n.Style = yaml.ScalarNode, "!!str", s, nil, 0
}

// writeFile replaces path with data through a temporary file in the same
// directory, so a crash leaves the old file or the new one, never half.
func writeFile(path string, data []byte, old fs.FileInfo) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".agent.yaml-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename

	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if old != nil {
		if err := keepOwner(tmp, old); err != nil {
			return err
		}
	}
	if err := Secure(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
