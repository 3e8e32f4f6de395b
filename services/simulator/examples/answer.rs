//! Prints the simulator's 999, 277CA and 835s for an 837P file, with the default payer:
//! `cargo run -p rcm-simulator --example answer -- FILE.837 [YYYY-MM-DD]`
//! (without a file, for a synthetic one of ten claims).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.first() {
        Some(path) => std::fs::read_to_string(path).expect("read the 837P file"),
        None => rcm_x12::x837p::write_837p(&rcm_x12::x837p::sample::interchange(1, 1, 10)).expect("a sample 837P"),
    };
    let today = args
        .get(1)
        .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a YYYY-MM-DD date"))
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"));
    match rcm_simulator::answer(&text, today) {
        Ok(a) => {
            println!("{}\n", a.ack999);
            println!("{}\n", a.ack277ca.unwrap_or_default());
            println!("{}", a.era835.unwrap_or_default());
            if let Some(later) = a.later835 {
                println!("\n{later}");
            }
        }
        Err(e) => {
            eprintln!("no answer: {e}");
            std::process::exit(1);
        }
    }
}
