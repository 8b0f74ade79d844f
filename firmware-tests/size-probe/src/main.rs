//! A bare Cortex-M image holding the firmware core and nothing else a real
//! board would not have: hardware behind volatile stand-ins so the
//! optimiser keeps every path. Built by `run` to measure code size.
#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use fader_firmware::{Adc, Config, Firmware, Link, Motor, TouchSense};

static mut REG: u32 = 0;

fn reg_read() -> u32 {
    // SAFETY: a single-threaded probe image; the static stands in for a
    // peripheral register.
    unsafe { read_volatile(&raw const REG) }
}

fn reg_write(v: u32) {
    // SAFETY: as above.
    unsafe { write_volatile(&raw mut REG, v) }
}

struct Hw;

impl Motor for Hw {
    fn drive(&mut self, index: usize, duty: i16) {
        reg_write(index as u32 ^ duty as u32);
    }
}

impl Adc for Hw {
    fn read(&mut self, _index: usize) -> u16 {
        reg_read() as u16
    }
}

impl TouchSense for Hw {
    fn touched(&mut self, _index: usize) -> bool {
        reg_read() & 1 != 0
    }
}

struct Uart;

impl Link for Uart {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            reg_write(u32::from(*b));
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn reset() -> ! {
    let mut fw = Firmware::new(Config::default());
    let (mut hw, mut uart) = (Hw, Uart);
    loop {
        let r = reg_read();
        if r & 0x100 != 0 {
            fw.on_byte(r as u8, &mut uart);
        }
        fw.tick(&mut hw, &mut uart);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
