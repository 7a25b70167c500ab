//! The accept loop. The simulator runs its own (HTTP/1.1 via hyper) instead of
//! `axum::serve` so that "Pinterest is down" can really refuse connections:
//! while refusing, the listening socket is closed and open connections are
//! dropped; afterwards the same address is bound again.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long connections get to finish when the simulator stops.
const DRAIN: Duration = Duration::from_secs(5);

/// How long after being told to refuse connections the port actually closes.
const GRACE: Duration = Duration::from_millis(100);

async fn rebind(addr: SocketAddr) -> io::Result<TcpListener> {
    let mut last = None;
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("cannot bind")))
}

/// Serves `router` until `shutdown` turns true; obeys `refuse` (refuse
/// connections until the instant it holds).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut refuse: watch::Receiver<Option<Instant>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(addr) = listener.local_addr() else {
        tracing::error!("pinterest-sim: listener has no local address");
        return;
    };
    let mut listener = Some(listener);
    let mut connections: JoinSet<()> = JoinSet::new();
    let (stop_connections, _) = watch::channel(false);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let refuse_until = (*refuse.borrow_and_update()).filter(|until| *until > Instant::now());
        if let Some(until) = refuse_until {
            if listener.is_some() {
                // Let the answer that switched us off (an admin call) get out first.
                tokio::time::sleep(GRACE).await;
                listener = None;
                tracing::info!(%addr, "pinterest-sim: down, refusing connections");
            }
            connections.abort_all();
            tokio::select! {
                _ = tokio::time::sleep_until(until.into()) => {}
                changed = refuse.changed() => if changed.is_err() { break },
                _ = shutdown.changed() => break,
            }
            continue;
        }
        let Some(active) = listener.as_ref() else {
            match rebind(addr).await {
                Ok(bound) => {
                    tracing::info!(%addr, "pinterest-sim: up again");
                    listener = Some(bound);
                }
                Err(e) => {
                    tracing::error!(%addr, error = %e, "pinterest-sim: cannot listen again");
                    break;
                }
            }
            continue;
        };
        tokio::select! {
            accepted = active.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let service = TowerToHyperService::new(router.clone());
                    let mut stop = stop_connections.subscribe();
                    connections.spawn(async move {
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(connection);
                        tokio::select! {
                            _ = connection.as_mut() => {}
                            _ = stop.changed() => {
                                connection.as_mut().graceful_shutdown();
                                let _ = connection.await;
                            }
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(error = %e, "pinterest-sim: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            // A closed channel means the owner is gone: stop rather than spin.
            changed = refuse.changed() => if changed.is_err() { break },
            changed = shutdown.changed() => if changed.is_err() { break },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_connections.send(true);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// Listens for Ctrl-C and SIGTERM from the moment it is called, so a signal that
/// arrives while the simulator starts is not lost: the future resolves on the first.
pub fn shutdown_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
