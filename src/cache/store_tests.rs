use std::sync::Arc;

use super::*;

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

fn cache() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path().join("c"));
    (dir, cache)
}

fn entry(cache: &Cache, digest: &Digest) -> PathBuf {
    cache.entry_path(digest).unwrap()
}

#[test]
fn stored_bytes_come_back_under_the_layout() {
    let (_d, cache) = cache();
    let bytes = b"{\"config\":1}";
    let digest = Digest::of(bytes);
    assert_eq!(cache.get(&digest), None);
    cache.put(&digest, bytes);
    assert_eq!(cache.get(&digest).as_deref(), Some(&bytes[..]));
    let path = entry(&cache, &digest);
    let hex = digest.hex();
    assert!(path.ends_with(format!("blobs/sha256/{}/{hex}", &hex[..2])));
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "exact served bytes");
}

#[test]
fn a_flipped_byte_is_a_miss_and_the_next_write_replaces_it() {
    let (_d, cache) = cache();
    let bytes = b"some manifest bytes".to_vec();
    let digest = Digest::of(&bytes);
    cache.put_manifest(&digest, &bytes, Some(MANIFEST_TYPE));
    let path = entry(&cache, &digest);
    let mut bad = bytes.clone();
    bad[3] ^= 0x01;
    std::fs::write(&path, &bad).unwrap();
    assert_eq!(cache.get(&digest), None);
    assert_eq!(cache.get_manifest(&digest), None);
    cache.put_manifest(&digest, &bytes, Some(MANIFEST_TYPE));
    let (got, media_type) = cache.get_manifest(&digest).unwrap();
    assert_eq!(&got[..], &bytes[..]);
    assert_eq!(media_type.as_deref(), Some(MANIFEST_TYPE));
}

#[test]
fn a_truncated_entry_is_a_miss() {
    let (_d, cache) = cache();
    let bytes = b"0123456789abcdef";
    let digest = Digest::of(bytes);
    cache.put(&digest, bytes);
    std::fs::write(entry(&cache, &digest), &bytes[..7]).unwrap();
    assert_eq!(cache.get(&digest), None);
}

#[test]
fn bytes_that_do_not_hash_to_the_digest_are_not_stored() {
    let (_d, cache) = cache();
    let digest = Digest::of(b"right");
    cache.put(&digest, b"wrong");
    assert!(!entry(&cache, &digest).exists());
}

#[test]
fn manifest_media_types_round_trip_including_none() {
    let (_d, cache) = cache();
    let a = b"manifest a";
    let b = b"manifest b";
    cache.put_manifest(&Digest::of(a), a, Some(MANIFEST_TYPE));
    cache.put_manifest(&Digest::of(b), b, None);
    let (_, ta) = cache.get_manifest(&Digest::of(a)).unwrap();
    let (_, tb) = cache.get_manifest(&Digest::of(b)).unwrap();
    assert_eq!(ta.as_deref(), Some(MANIFEST_TYPE));
    assert_eq!(tb, None);
}

#[test]
fn a_manifest_without_its_sidecar_or_with_a_bad_one_is_a_miss() {
    let (_d, cache) = cache();
    let bytes = b"manifest";
    let digest = Digest::of(bytes);
    cache.put(&digest, bytes);
    assert_eq!(cache.get_manifest(&digest), None, "config-only entry");
    let sidecar = type_path(&entry(&cache, &digest));
    std::fs::write(&sidecar, "text/html\n<html>").unwrap();
    assert_eq!(cache.get_manifest(&digest), None, "corrupt sidecar");
    assert_eq!(cache.get(&digest).as_deref(), Some(&bytes[..]));
}

#[test]
fn writes_leave_no_temporary_files() {
    let (_d, cache) = cache();
    let bytes = b"x";
    let digest = Digest::of(bytes);
    cache.put_manifest(&digest, bytes, Some(MANIFEST_TYPE));
    cache.put_manifest(&digest, bytes, Some(MANIFEST_TYPE));
    let dir = entry(&cache, &digest).parent().unwrap().to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let hex = digest.hex();
    assert_eq!(names, vec![hex.to_string(), format!("{hex}.type")]);
}

#[test]
fn concurrent_writers_and_readers_of_one_digest_never_see_a_partial_entry() {
    let (_d, cache) = cache();
    let cache = Arc::new(cache);
    let bytes: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let digest = Digest::of(&bytes);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (cache, bytes, digest) = (cache.clone(), bytes.clone(), digest.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    if i % 2 == 0 {
                        cache.put_manifest(&digest, &bytes, Some(MANIFEST_TYPE));
                    } else if let Some((got, t)) = cache.get_manifest(&digest) {
                        assert_eq!(got.len(), bytes.len());
                        assert_eq!(t.as_deref(), Some(MANIFEST_TYPE));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(cache.get(&digest).as_deref(), Some(&bytes[..]));
    assert!(!cache.warned.load(Ordering::Relaxed), "no write failed");
}

#[test]
fn a_disabled_cache_misses_and_stores_nothing() {
    let cache = Cache::disabled();
    let digest = Digest::of(b"x");
    cache.put(&digest, b"x");
    assert_eq!(cache.get(&digest), None);
    assert!(cache.root().is_none());
}

#[test]
fn an_unwritable_cache_warns_once_and_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let cache = Cache::open(file);
    let digest = Digest::of(b"x");
    cache.put(&digest, b"x");
    cache.put(&digest, b"x");
    assert!(cache.warned.load(Ordering::Relaxed));
    assert_eq!(cache.get(&digest), None);
}
