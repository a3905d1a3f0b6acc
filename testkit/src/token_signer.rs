//! A test key pair and self-signed certificate, made fresh by each test, that sign the
//! JWTs Distribution's `auth: token` mode accepts.
//!
//! Distribution 2.8 takes the signing key from the token's `x5c` header and verifies that
//! certificate chain against its `rootcertbundle`. The certificate here is self-signed and
//! is itself the whole bundle, so the chain is one certificate long.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

/// Common name of the test certificate.
const CERT_NAME: &str = "nuccrawl-fake-token-issuer";

/// Seconds a token's `nbf` lies in the past, so clock granularity never makes a fresh
/// token "not yet valid".
const NOT_BEFORE_SLACK_SECS: u64 = 60;

/// One access grant inside a token: `{"type","name","actions"}` as Distribution reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `repository` or `registry`.
    pub kind: String,
    /// Repository path, or `catalog`.
    pub name: String,
    /// `pull`, `push`, `*`.
    pub actions: Vec<String>,
}

/// An ES256 key pair with its self-signed certificate.
pub struct TokenSigner {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
    rng: SystemRandom,
}

impl TokenSigner {
    /// A fresh P-256 key pair and a self-signed certificate for it.
    pub fn generate() -> anyhow::Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow::anyhow!("generating a P-256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow::anyhow!("loading the P-256 key"))?;
        let cert_key = rcgen::KeyPair::try_from(pkcs8.as_ref()).context("key for rcgen")?;
        let mut params = rcgen::CertificateParams::new(vec![CERT_NAME.to_owned()])?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, CERT_NAME);
        let cert = params.self_signed(&cert_key).context("self-signing")?;
        Ok(TokenSigner {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            rng,
        })
    }

    /// Writes the certificate as PEM (Distribution's `rootcertbundle`) into `dir`.
    pub fn write_root_bundle(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let path = dir.join("token-root.pem");
        std::fs::write(&path, &self.cert_pem)?;
        Ok(path)
    }

    /// A signed JWT granting `access` to `audience` (the registry's service), from
    /// `issuer`, valid for `lifetime_secs`.
    pub fn sign(
        &self,
        issuer: &str,
        audience: &str,
        subject: &str,
        access: &[Access],
        lifetime_secs: u64,
    ) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let header = json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [STANDARD.encode(&self.cert_der)],
        });
        let access: Vec<Value> = access
            .iter()
            .map(|a| json!({"type": a.kind, "name": a.name, "actions": a.actions}))
            .collect();
        let claims = json!({
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "exp": now + lifetime_secs,
            "nbf": now.saturating_sub(NOT_BEFORE_SLACK_SECS),
            "iat": now,
            "jti": format!("{now}-{}", rand_suffix(&self.rng)?),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| anyhow::anyhow!("signing the token"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// Eight random hex digits, to make each token's `jti` unique.
fn rand_suffix(rng: &SystemRandom) -> anyhow::Result<String> {
    let bytes: [u8; 4] = ring::rand::generate(rng)
        .map_err(|_| anyhow::anyhow!("random bytes"))?
        .expose();
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    #[test]
    fn tokens_verify_with_the_certificate_key() {
        use ring::signature::KeyPair as _;
        let signer = TokenSigner::generate().unwrap();
        let access = [Access {
            kind: "repository".into(),
            name: "a/b".into(),
            actions: vec!["pull".into()],
        }];
        let jwt = signer.sign("iss", "svc", "u", &access, 300).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["access"][0]["name"], "a/b");
        assert_eq!(claims["aud"], "svc");
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, signer.key.public_key());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(public.verify(input.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"tampered", &signature).is_err());
    }
}
