//! pinterest-sim: an offline Pinterest (see the `pinterest-sim` binary).
