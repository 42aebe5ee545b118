//! Raw Argon2id verifies per second on this machine, with the parameters
//! and the bounded blocking pool sign-in uses: the baseline that
//! `cargo xtask bench` sets sign-ins per second against.
#![allow(clippy::print_stdout)]

use backend::accounts::{self, Password};
use std::time::{Duration, Instant};

const RUN_FOR: Duration = Duration::from_secs(10);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let password = Password::for_checking("correct horse battery staple");
        let hash = accounts::hash_password(&password).await.expect("hash");
        let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get) * 2;
        let started = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (password, hash) = (password.clone(), hash.clone());
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while started.elapsed() < RUN_FOR {
                        assert!(
                            accounts::verify_password(&password, &hash)
                                .await
                                .expect("verify")
                        );
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("task");
        }
        let seconds = started.elapsed().as_secs_f64();
        println!("argon2id verifies/s: {:.1}", total as f64 / seconds);
    });
}
