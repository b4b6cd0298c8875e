#![no_main]

use std::sync::LazyLock;

static SERVER: LazyLock<coffer_fuzz::Server> = LazyLock::new(coffer_fuzz::Server::new);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    SERVER.signed_request(data);
});
