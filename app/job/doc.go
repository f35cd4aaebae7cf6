// Package job runs named jobs for a business date. Each run is a row of job_run (status,
// checkpoint, processed count, timings); a succeeded run is never repeated, a failed or
// crashed run resumes from its checkpoint, and a lease on the row (owner + expiry, taken
// and renewed with conditional UPDATEs) keeps one runner across server replicas. The
// Scheduler starts runs from cron schedules and is a Kratos transport.Server.
package job
