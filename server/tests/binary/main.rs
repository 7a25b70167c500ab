//! The `pinbridge` binary as an operator runs it (configuration, first start,
//! failures that stop start-up cleanly, graceful shutdown, the administrative
//! commands), the deployment guide followed (two instances behind nginx), and
//! the repository's scripts. One test binary; each module is an area. Runs on the backend `PINBRIDGE_TEST_BACKEND` names.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod backup;
mod cli;
mod deploy;
mod keys;
mod pipeline;
mod queries;
mod scale;
mod scripts;
mod startup;
mod upgrade;
