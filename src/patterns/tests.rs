use super::*;

#[test]
fn show() {
    for s in [
        "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
        "unexpected EOF on client connection with an open transaction",
        "connection authorized: user=postgres database=postgres application_name=psql",
        "WORKER TIMEOUT (pid:29804)",
        "Booting worker with pid: 29810",
        "disconnection: session time: 0:00:00.203 user=postgres database=postgres host=127.0.0.1 port=34928",
        "[2026-11-25 15:42:08 +0000] [29804] [INFO] Booting worker with pid: 29804",
        "127.0.0.1 - - [25/Nov/2026 15:39:20] \"GET /businesses?id=2bc9aecd-21da-453b-8f39-73606aead311 HTTP/1.1\" 200 -",
        "127.0.0.1 - - [25/Nov/2026:15:39:20 +0000] \"GET /businesses/ref/42 HTTP/1.1\" 200 12 \"-\" \"python-requests/2.32.3\"",
        "starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit",
        "checkpoint complete: wrote 1116 buffers (13.6%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.033 s, sync=0.908 s, total=0.965 s; sync files=315, longest=0.006 s, average=0.003 s; distance=6687 kB, estimate=6687 kB",
        "database system was shut down at 2026-11-25 15:39:15 UTC",
        "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 40069 failed: FATAL:  sorry, too many clients already",
        "session 6b085998.6de2 took 30000ms, 2.00s, -5 x=-3 at 2026-11-25T15:39:20.145862Z id c2861678007d4571a969f2b0a2a1851f ip fe80::1 [::1]:5432 0x7fff1234 RuntimeError: can't start new thread",
        "Exception occurred during processing of request from ('127.0.0.1', 40444)",
        "File \"/opt/python/lib/python3.11/threading.py\", line 971, in start",
        "[pid: 4493|app: 0|req: 1/2] 127.0.0.1 () {34 vars in 412 bytes} [Thu Nov 26 16:41:15 2026] GET /businesses/ref/42 => generated 120 bytes in 1500 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)",
        "at=error code=H12 desc=\"Request timeout\" method=GET path=\"/x\" request_id=5a8e1f2c-0000-4000-8000-000000000001 dyno=web.1 connect=0ms service=30000ms status=503",
    ] {
        println!("{s}\n  -> {}", mask(s).text);
    }
}
