// Package jobs is channelbot's scheduled work: visit reminders, stock-out warnings,
// the managers' digests and broadcast delivery. Jobs arrive with their issues.
package jobs
