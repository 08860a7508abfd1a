//! The replica's key and the device credential, protected by the user's PIN.
//!
//! A random 256-bit data key encrypts the replica (SQLCipher) and the credential
//! (ChaCha20-Poly1305). The data key itself is stored only wrapped: encrypted under a key derived
//! from the PIN with Argon2id, so a copied device file is useless without the PIN, and a wrong
//! PIN is told apart from damage by the AEAD tag. Changing the PIN re-wraps the data key only.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the PIN must be exactly 6 digits")]
    PinFormat,
    #[error("wrong PIN")]
    WrongPin,
    #[error("the sealed data is damaged")]
    Damaged,
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes): ~0.1 s on a phone, which makes
/// each guess of a copied file cost that much.
fn kdf() -> Result<Argon2<'static>, VaultError> {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).map_err(|_| VaultError::Damaged)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks that a PIN is 6 ASCII digits.
pub fn check_pin(pin: &str) -> Result<(), VaultError> {
    if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(VaultError::PinFormat)
    }
}

pub fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(bytes)
}

/// Bytes encrypted under a key, with their nonce (hex in the device file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    nonce: String,
    ciphertext: String,
}

pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> Result<Sealed, VaultError> {
    let nonce = random::<12>()?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .map_err(|_| VaultError::Damaged)?;
    Ok(Sealed {
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// Opens sealed bytes; [`VaultError::WrongPin`] when the tag does not verify (wrong key).
pub fn open(key: &[u8; 32], sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
    let nonce = hex::decode(&sealed.nonce).map_err(|_| VaultError::Damaged)?;
    let ciphertext = hex::decode(&sealed.ciphertext).map_err(|_| VaultError::Damaged)?;
    if nonce.len() != 12 {
        return Err(VaultError::Damaged);
    }
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| VaultError::WrongPin)
}

/// The data key wrapped under the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    salt: String,
    sealed: Sealed,
}

fn pin_key(pin: &str, salt: &[u8]) -> Result<[u8; 32], VaultError> {
    check_pin(pin)?;
    let mut key = [0u8; 32];
    kdf()?
        .hash_password_into(pin.as_bytes(), salt, &mut key)
        .map_err(|_| VaultError::Damaged)?;
    Ok(key)
}

pub fn wrap(data_key: &[u8; 32], pin: &str) -> Result<WrappedKey, VaultError> {
    let salt = random::<16>()?;
    let sealed = seal(&pin_key(pin, &salt)?, data_key)?;
    Ok(WrappedKey {
        salt: hex::encode(salt),
        sealed,
    })
}

pub fn unwrap(wrapped: &WrappedKey, pin: &str) -> Result<[u8; 32], VaultError> {
    let salt = hex::decode(&wrapped.salt).map_err(|_| VaultError::Damaged)?;
    let bytes = open(&pin_key(pin, &salt)?, &wrapped.sealed)?;
    bytes.try_into().map_err(|_| VaultError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_pin_unwraps_and_a_wrong_one_is_told_apart() {
        let key = [7u8; 32];
        let wrapped = wrap(&key, "246810").expect("wrap");
        assert_eq!(unwrap(&wrapped, "246810"), Ok(key));
        assert_eq!(unwrap(&wrapped, "246811"), Err(VaultError::WrongPin));
        assert_eq!(unwrap(&wrapped, "2468"), Err(VaultError::PinFormat));
        assert_eq!(check_pin("12345a"), Err(VaultError::PinFormat));
        assert_eq!(check_pin("１２３４５６"), Err(VaultError::PinFormat));
    }

    #[test]
    fn sealed_text_is_not_plaintext_and_round_trips() {
        let key = random::<32>().expect("random");
        let sealed = seal(&key, b"device-token-abc").expect("seal");
        assert!(
            !sealed
                .ciphertext
                .contains(&hex::encode(b"device-token-abc"))
        );
        assert_eq!(open(&key, &sealed).expect("open"), b"device-token-abc");
        assert_eq!(open(&[0u8; 32], &sealed), Err(VaultError::WrongPin));
    }
}
