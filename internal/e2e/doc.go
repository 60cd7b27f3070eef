// Package e2e holds end-to-end tests: they run the built mlstack binary against the real Docker engine
// as a user would, on projects written by each test, and check what a user would check.
package e2e
