//! Running one job per index on a few threads, for loading and reading bulk content.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls `job(i)` for every `i` in `0..count` on at most `threads` threads, each taking
/// the next index as it finishes one; the first error stops the run and is returned.
pub(crate) fn each_index<F>(count: usize, threads: usize, job: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> anyhow::Result<()> + Sync,
{
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(count.max(1)))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok(());
                        }
                        job(i)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("worker thread does not panic"))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn every_index_runs_once_and_errors_come_back() {
        let seen = Mutex::new(Vec::new());
        each_index(25, 4, |i| {
            seen.lock().unwrap().push(i);
            Ok(())
        })
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
        let err = each_index(5, 2, |i| match i {
            3 => anyhow::bail!("index {i} failed"),
            _ => Ok(()),
        });
        assert_eq!(err.unwrap_err().to_string(), "index 3 failed");
    }
}
