//! `--password-stdin`: the password or token piped in by the user.

use std::io::Read;
use std::sync::Arc;

use super::error::CredentialError;

/// Most bytes accepted: registry passwords and tokens stay well under this (ECR's are
/// about 2 KiB, cloud access tokens under 16 KiB); more means the wrong thing was piped.
pub const MAX_PASSWORD_BYTES: usize = 64 * 1024;

/// Reads the whole of `reader` as a password, dropping one trailing `\n` or `\r\n`
/// (what `echo` and most secret managers append) and nothing else.
pub fn read_password_stdin(reader: impl Read) -> Result<String, CredentialError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_PASSWORD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CredentialError::StdinRead {
            source: Arc::new(e),
        })?;
    if bytes.len() > MAX_PASSWORD_BYTES {
        return Err(CredentialError::StdinTooLong(MAX_PASSWORD_BYTES));
    }
    let text = String::from_utf8(bytes).map_err(|_| CredentialError::StdinNotUtf8)?;
    let password = match text.strip_suffix('\n') {
        Some(rest) => rest.strip_suffix('\r').unwrap_or(rest),
        None => &text,
    };
    if password.is_empty() {
        return Err(CredentialError::StdinEmpty);
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Result<String, CredentialError> {
        read_password_stdin(input)
    }

    #[test]
    fn one_trailing_newline_is_dropped() {
        assert_eq!(read(b"s3cret\n").unwrap(), "s3cret");
        assert_eq!(read(b"s3cret\r\n").unwrap(), "s3cret");
        assert_eq!(read(b"s3cret").unwrap(), "s3cret");
        assert_eq!(read(b"s3cret\n\n").unwrap(), "s3cret\n");
        assert_eq!(read(b" spaced \n").unwrap(), " spaced ");
    }

    #[test]
    fn empty_long_and_binary_input_are_refused() {
        assert!(matches!(read(b"\n"), Err(CredentialError::StdinEmpty)));
        assert!(matches!(read(b""), Err(CredentialError::StdinEmpty)));
        let long = vec![b'a'; MAX_PASSWORD_BYTES + 1];
        assert!(matches!(read(&long), Err(CredentialError::StdinTooLong(_))));
        assert_eq!(
            read(&long[..MAX_PASSWORD_BYTES]).unwrap().len(),
            MAX_PASSWORD_BYTES
        );
        assert!(matches!(
            read(b"\xff\xfe"),
            Err(CredentialError::StdinNotUtf8)
        ));
    }
}
