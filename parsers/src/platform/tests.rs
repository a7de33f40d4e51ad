use super::*;

#[test]
fn dump() {
    for f in [
        &include_bytes!("../../tests/fixtures/heroku/published.log")[..],
        include_bytes!("../../tests/fixtures/cf/published.log"),
        include_bytes!("../../tests/fixtures/cf/gorouter-crash.log"),
        include_bytes!("../../tests/fixtures/heroku/gevent-too-many-clients.log"),
    ] {
        let out = crate::parse_bytes(&mut Parser::default(), f);
        for r in &out.records {
            println!("{} +{} {:?}", r.line, r.lines, r.rec);
        }
        println!(
            "skipped {:?} notes {:?} consumed {} lines {}",
            out.skipped, out.notes, out.consumed, out.lines
        );
        assert!(out.accounts_for_every_line());
        println!("{:?} / {:?}", sniff(f), sniff_cf(f));
        println!("=====");
    }
}
