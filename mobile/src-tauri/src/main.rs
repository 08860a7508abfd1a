// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    outpost_app::run_from(std::time::Instant::now());
}
