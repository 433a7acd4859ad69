// Package machinetest gives tests a machine whose identity sources are
// fixed, so fingerprints and activation requests are the same on every
// computer.
package machinetest

import (
	"errors"
	"io/fs"

	"github.com/licet/licet/machine"
)

// Fake returns a machine whose identity sources are given: env is the
// value of LICET_MACHINE_ID, files the machine id files by path, host the
// host name ("" for none).
func Fake(env string, files map[string]string, host string) *machine.Machine {
	return &machine.Machine{
		Getenv: func(name string) string {
			if name == machine.IDEnv {
				return env
			}
			return ""
		},
		ReadFile: func(path string) ([]byte, error) {
			if s, ok := files[path]; ok {
				return []byte(s), nil
			}
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		},
		Hostname: func() (string, error) {
			if host == "" {
				return "", errors.New("no host name")
			}
			return host, nil
		},
	}
}
