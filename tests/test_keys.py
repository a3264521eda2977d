# -*- test-case-name: tests.test_keys -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Tests for L{twisted_mysqlauth.keys}.
"""

from __future__ import annotations

import datetime
import os
import ssl as stdlibssl
import stat
from typing import List, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from twisted.internet import ssl
from twisted.trial.unittest import SynchronousTestCase

from twisted_mysqlauth import keys
from twisted_mysqlauth.keys import (
    KeyMaterialError,
    RSAKeyPair,
    encryptPassword,
    loadOrCreateRSAKeyPair,
    loadOrCreateTLSCertificate,
    serverTLSOptions,
)

NONCE = bytes(range(1, 21))


def _mode(path: str) -> int:
    """
    @param path: a file.
    @return: its permission bits.
    """
    return stat.S_IMODE(os.stat(path).st_mode)


def _write(path: str, data: bytes) -> None:
    """
    Write a file.

    @param path: the file.
    @param data: its contents.
    """
    with open(path, "wb") as f:
        f.write(data)


def _read(path: str) -> bytes:
    """
    Read a file.

    @param path: the file.
    @return: its contents.
    """
    with open(path, "rb") as f:
        return f.read()


def _xorCyclic(data: bytes, nonce: bytes) -> bytes:
    """
    XOR with a repeated nonce, written independently of the code under test.

    @param data: the data.
    @param nonce: the nonce.
    @return: the XOR.
    """
    repeated = (nonce * (len(data) // len(nonce) + 1))[: len(data)]
    return bytes(a ^ b for a, b in zip(data, repeated))


def _oaepSHA1() -> padding.OAEP:
    """
    @return: OAEP padding with SHA-1 and MGF1-SHA-1.
    """
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
    )


class _PairMixin:
    """
    Helpers that make a fresh directory and key file paths in it.
    """

    def paths(self) -> Tuple[str, str]:
        """
        @return: private and public key paths in a new, empty directory.
        """
        directory = self.mktemp()
        os.makedirs(directory)
        return (
            os.path.join(directory, "private_key.pem"),
            os.path.join(directory, "public_key.pem"),
        )


class KeyMaterialErrorTests(SynchronousTestCase):
    """
    Tests for L{KeyMaterialError}.
    """

    def test_attributesAndString(self) -> None:
        """
        The error keeps the path and reason and renders as "path: reason".
        """
        error = KeyMaterialError("/etc/key.pem", "is not a PEM-encoded key")
        self.assertEqual(error.path, "/etc/key.pem")
        self.assertEqual(error.reason, "is not a PEM-encoded key")
        self.assertEqual(str(error), "/etc/key.pem: is not a PEM-encoded key")
        self.assertIsInstance(error, Exception)


class RSAKeyPairFileTests(_PairMixin, SynchronousTestCase):
    """
    Tests for L{loadOrCreateRSAKeyPair}.
    """

    def test_generatesFiles(self) -> None:
        """
        When neither file exists, a 2048-bit key with exponent 65537 is
        generated; the private key is written as PKCS#8 PEM with mode 0600,
        the public key as SubjectPublicKeyInfo PEM with mode 0644.
        """
        privatePath, publicPath = self.paths()
        pair = loadOrCreateRSAKeyPair(privatePath, publicPath)
        self.assertIsInstance(pair, RSAKeyPair)
        self.assertEqual(pair.privateKey.key_size, 2048)
        self.assertEqual(pair.privateKey.public_key().public_numbers().e, 65537)
        self.assertEqual(pair.keySize, 256)
        self.assertEqual(_mode(privatePath), 0o600)
        self.assertEqual(_mode(publicPath), 0o644)
        self.assertTrue(_read(privatePath).startswith(b"-----BEGIN PRIVATE KEY-----\n"))
        self.assertTrue(_read(publicPath).startswith(b"-----BEGIN PUBLIC KEY-----\n"))
        self.assertEqual(_read(publicPath), pair.publicKeyPEM)
        stored = serialization.load_pem_private_key(_read(privatePath), password=None)
        self.assertEqual(stored.private_numbers(), pair.privateKey.private_numbers())

    def test_modesIgnoreUmask(self) -> None:
        """
        The modes are exactly 0600 and 0644 whatever the umask.
        """
        for umask in [0o000, 0o077, 0o022]:
            previous = os.umask(umask)
            try:
                privatePath, publicPath = self.paths()
                loadOrCreateRSAKeyPair(privatePath, publicPath)
            finally:
                os.umask(previous)
            self.assertEqual(_mode(privatePath), 0o600, oct(umask))
            self.assertEqual(_mode(publicPath), 0o644, oct(umask))

    def test_privateCreatedRestricted(self) -> None:
        """
        The private key file is created by C{os.open} with C{O_CREAT|O_EXCL}
        and mode 0600, so it is never readable by others, even briefly, and
        an existing file is never overwritten.
        """
        calls: List[Tuple[str, int, int]] = []
        realOpen = os.open

        def recordingOpen(path, flags, mode=0o777, *args, **kwargs):
            calls.append((path, flags, mode))
            return realOpen(path, flags, mode, *args, **kwargs)

        self.patch(os, "open", recordingOpen)
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        [(path, flags, mode)] = [call for call in calls if call[0] == privatePath]
        self.assertEqual(mode, 0o600)
        self.assertEqual(flags & (os.O_CREAT | os.O_EXCL), os.O_CREAT | os.O_EXCL)

    def test_reloadSameKey(self) -> None:
        """
        Loading existing files gives the same key and leaves them untouched.
        """
        privatePath, publicPath = self.paths()
        first = loadOrCreateRSAKeyPair(privatePath, publicPath)
        before = (_read(privatePath), _read(publicPath))
        second = loadOrCreateRSAKeyPair(privatePath, publicPath)
        self.assertEqual(
            second.privateKey.private_numbers(), first.privateKey.private_numbers()
        )
        self.assertEqual(second.publicKeyPEM, first.publicKeyPEM)
        self.assertEqual((_read(privatePath), _read(publicPath)), before)

    def test_reloadWithoutAutoGenerate(self) -> None:
        """
        Existing files load even when generation is disabled.
        """
        privatePath, publicPath = self.paths()
        first = loadOrCreateRSAKeyPair(privatePath, publicPath)
        second = loadOrCreateRSAKeyPair(privatePath, publicPath, autoGenerate=False)
        self.assertEqual(second.publicKeyPEM, first.publicKeyPEM)

    def test_pkcs1PublicKeyServedAsSPKI(self) -> None:
        """
        A public key file in PKCS#1 form (C{BEGIN RSA PUBLIC KEY}) is accepted,
        and the key is still offered to clients as SubjectPublicKeyInfo.
        """
        privatePath, publicPath = self.paths()
        pair = loadOrCreateRSAKeyPair(privatePath, publicPath)
        os.unlink(publicPath)
        _write(
            publicPath,
            pair.privateKey.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
            ),
        )
        reloaded = loadOrCreateRSAKeyPair(privatePath, publicPath)
        self.assertTrue(reloaded.publicKeyPEM.startswith(b"-----BEGIN PUBLIC KEY-----"))
        self.assertEqual(reloaded.publicKeyPEM, pair.publicKeyPEM)

    def test_neitherExistsNoAutoGenerate(self) -> None:
        """
        With generation disabled, missing files are an error naming the private
        key file, and nothing is created.
        """
        privatePath, publicPath = self.paths()
        error = self.assertRaises(
            KeyMaterialError,
            loadOrCreateRSAKeyPair,
            privatePath,
            publicPath,
            autoGenerate=False,
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("generation", str(error))
        self.assertFalse(os.path.exists(privatePath))
        self.assertFalse(os.path.exists(publicPath))

    def test_onlyPrivateExists(self) -> None:
        """
        A private key without its public key is an error naming the missing
        file; nothing is generated.
        """
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        os.unlink(publicPath)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, publicPath)
        self.assertIn(privatePath, error.reason)
        self.assertFalse(os.path.exists(publicPath))

    def test_onlyPublicExists(self) -> None:
        """
        A public key without its private key is an error naming the missing
        file; nothing is generated.
        """
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        os.unlink(privatePath)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertFalse(os.path.exists(privatePath))

    def test_mismatchedPair(self) -> None:
        """
        A public key that is not the private key's partner is an error naming
        the public key file.
        """
        privatePath, publicPath = self.paths()
        otherPrivate, otherPublic = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        loadOrCreateRSAKeyPair(otherPrivate, otherPublic)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, otherPublic
        )
        self.assertEqual(error.path, otherPublic)
        self.assertIn("does not hold the public half", str(error))

    def test_garbagePrivate(self) -> None:
        """
        A private key file that is not PEM is an error naming it.
        """
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        _write(privatePath, b"this is not a key\n")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("not a PEM-encoded private key", str(error))

    def test_garbagePublic(self) -> None:
        """
        A public key file that is not PEM is an error naming it.
        """
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        _write(publicPath, b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, publicPath)

    def test_encryptedPrivate(self) -> None:
        """
        A passphrase-protected private key is an error saying so.
        """
        privatePath, publicPath = self.paths()
        pair = loadOrCreateRSAKeyPair(privatePath, publicPath)
        _write(
            privatePath,
            pair.privateKey.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"passphrase"),
            ),
        )
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("encrypted", str(error))

    def test_notRSA(self) -> None:
        """
        A private key of another type is an error.
        """
        privatePath, publicPath = self.paths()
        key = ec.generate_private_key(ec.SECP256R1())
        _write(
            privatePath,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write(
            publicPath,
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            ),
        )
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("RSA", str(error))

    def test_smallKey(self) -> None:
        """
        An RSA key smaller than 2048 bits is an error.
        """
        privatePath, publicPath = self.paths()
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        _write(
            privatePath,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
        )
        _write(
            publicPath,
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            ),
        )
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("1024", str(error))

    def test_unreadable(self) -> None:
        """
        A key path that cannot be read (here, a directory) is an error naming
        it.
        """
        privatePath, publicPath = self.paths()
        loadOrCreateRSAKeyPair(privatePath, publicPath)
        os.unlink(privatePath)
        os.mkdir(privatePath)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("cannot be read", str(error))

    def test_cannotCreate(self) -> None:
        """
        A key that cannot be written is an error naming the file.
        """
        directory = self.mktemp()
        privatePath = os.path.join(directory, "missing", "private_key.pem")
        publicPath = os.path.join(directory, "missing", "public_key.pem")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, privatePath)
        self.assertIn("cannot be created", str(error))

    def test_halfWrittenPairRemoved(self) -> None:
        """
        If the public key cannot be written, the private key just written is
        removed, so the next start does not find half a pair.
        """
        privatePath, _ = self.paths()
        publicPath = os.path.join(self.mktemp(), "public_key.pem")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateRSAKeyPair, privatePath, publicPath
        )
        self.assertEqual(error.path, publicPath)
        self.assertFalse(os.path.exists(privatePath))


class RSAPasswordTests(SynchronousTestCase):
    """
    Tests for L{RSAKeyPair.decryptPassword} and L{encryptPassword}.
    """

    def setUp(self) -> None:
        """
        Make a key pair (once per test class, it is slow to generate).
        """
        if not hasattr(RSAPasswordTests, "_pair"):
            directory = self.mktemp()
            os.makedirs(directory)
            RSAPasswordTests._pair = loadOrCreateRSAKeyPair(
                os.path.join(directory, "private_key.pem"),
                os.path.join(directory, "public_key.pem"),
            )
        self.pair = RSAPasswordTests._pair

    def test_roundTrip(self) -> None:
        """
        What L{encryptPassword} makes, L{RSAKeyPair.decryptPassword} reverses,
        for passwords shorter than, as long as and longer than the nonce, up
        to the largest a 2048-bit key can carry (213 bytes plus the NUL).
        """
        for length in [0, 1, 19, 20, 21, 39, 40, 100, 213]:
            password = bytes((i * 7) % 255 + 1 for i in range(length))
            ciphertext = encryptPassword(self.pair.publicKeyPEM, password, NONCE)
            self.assertEqual(len(ciphertext), 256)
            self.assertEqual(self.pair.decryptPassword(ciphertext, NONCE), password)

    def test_plaintextLayout(self) -> None:
        """
        The client encrypts (password + NUL) XOR the nonce repeated, with
        RSA-OAEP SHA-1.
        """
        password = b"a password longer than twenty bytes"
        ciphertext = encryptPassword(self.pair.publicKeyPEM, password, NONCE)
        plaintext = self.pair.privateKey.decrypt(ciphertext, _oaepSHA1())
        self.assertEqual(plaintext, _xorCyclic(password + b"\0", NONCE))

    def test_decryptsIndependentClient(self) -> None:
        """
        A ciphertext built directly with OAEP-SHA1 over (password + NUL) XOR
        nonce, as clients do, decrypts; so does PyMySQL's, if installed.
        """
        publicKey = serialization.load_pem_public_key(self.pair.publicKeyPEM)
        ciphertext = publicKey.encrypt(_xorCyclic(b"secret\0", NONCE), _oaepSHA1())
        self.assertEqual(self.pair.decryptPassword(ciphertext, NONCE), b"secret")
        try:
            from pymysql._auth import sha2_rsa_encrypt
        except ImportError:
            return
        ciphertext = sha2_rsa_encrypt(b"pymysql secret", NONCE, self.pair.publicKeyPEM)
        self.assertEqual(self.pair.decryptPassword(ciphertext, NONCE), b"pymysql secret")

    def test_missingTerminator(self) -> None:
        """
        A client that forgets the NUL still gets its whole password through;
        anything after a NUL is dropped.
        """
        publicKey = serialization.load_pem_public_key(self.pair.publicKeyPEM)
        noNul = publicKey.encrypt(_xorCyclic(b"secret", NONCE), _oaepSHA1())
        self.assertEqual(self.pair.decryptPassword(noNul, NONCE), b"secret")
        extra = publicKey.encrypt(_xorCyclic(b"secret\0junk", NONCE), _oaepSHA1())
        self.assertEqual(self.pair.decryptPassword(extra, NONCE), b"secret")

    def test_wrongNonce(self) -> None:
        """
        Decrypting with another nonce does not give the password.
        """
        ciphertext = encryptPassword(self.pair.publicKeyPEM, b"secret", NONCE)
        self.assertNotEqual(
            self.pair.decryptPassword(ciphertext, bytes(range(2, 22))), b"secret"
        )

    def test_wrongLength(self) -> None:
        """
        A ciphertext that is not exactly the modulus size is refused with the
        same error as one that does not decrypt.
        """
        ciphertext = encryptPassword(self.pair.publicKeyPEM, b"secret", NONCE)
        corrupted = ciphertext[:100] + bytes([ciphertext[100] ^ 1]) + ciphertext[101:]
        messages = set()
        for bad in [b"", ciphertext[:-1], ciphertext + b"\0", b"\x02", corrupted]:
            error = self.assertRaises(
                ValueError, self.pair.decryptPassword, bad, NONCE
            )
            messages.add(str(error))
        self.assertEqual(len(messages), 1)

    def test_emptyNonce(self) -> None:
        """
        An empty nonce is a programming error.
        """
        ciphertext = encryptPassword(self.pair.publicKeyPEM, b"secret", NONCE)
        self.assertRaises(ValueError, self.pair.decryptPassword, ciphertext, b"")
        self.assertRaises(
            ValueError, encryptPassword, self.pair.publicKeyPEM, b"secret", b""
        )

    def test_encryptTooLong(self) -> None:
        """
        A password too long for the key cannot be encrypted.
        """
        self.assertRaises(
            ValueError, encryptPassword, self.pair.publicKeyPEM, b"p" * 214, NONCE
        )

    def test_encryptBadKey(self) -> None:
        """
        A public key that cannot be parsed or is not RSA is refused.
        """
        self.assertRaises(ValueError, encryptPassword, b"garbage", b"pw", NONCE)
        ecKey = ec.generate_private_key(ec.SECP256R1()).public_key()
        pem = ecKey.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.assertRaises(ValueError, encryptPassword, pem, b"pw", NONCE)


class TLSCertificateTests(SynchronousTestCase):
    """
    Tests for L{loadOrCreateTLSCertificate}.
    """

    def paths(self) -> Tuple[str, str]:
        """
        @return: certificate and key paths in a new, empty directory.
        """
        directory = self.mktemp()
        os.makedirs(directory)
        return (
            os.path.join(directory, "server-cert.pem"),
            os.path.join(directory, "server-key.pem"),
        )

    def test_generates(self) -> None:
        """
        When neither file exists, a self-signed certificate for a new 2048-bit
        RSA key, valid for ten years, is written (certificate 0644, key 0600,
        PKCS#8) and returned with its key.
        """
        certPath, keyPath = self.paths()
        before = datetime.datetime.now(datetime.timezone.utc)
        result = loadOrCreateTLSCertificate(certPath, keyPath)
        self.assertIsInstance(result, ssl.PrivateCertificate)
        self.assertEqual(_mode(keyPath), 0o600)
        self.assertEqual(_mode(certPath), 0o644)
        self.assertTrue(_read(keyPath).startswith(b"-----BEGIN PRIVATE KEY-----\n"))

        certificate = x509.load_pem_x509_certificate(_read(certPath))
        self.assertEqual(
            certificate.public_bytes(serialization.Encoding.DER),
            result.original.to_cryptography().public_bytes(serialization.Encoding.DER),
        )
        [commonName] = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.assertEqual(
            commonName.value, "twisted_mysqlauth auto-generated server certificate"
        )
        self.assertEqual(certificate.issuer, certificate.subject)
        key = serialization.load_pem_private_key(_read(keyPath), password=None)
        self.assertIsInstance(key, rsa.RSAPrivateKey)
        self.assertEqual(key.key_size, 2048)
        self.assertEqual(
            key.public_key().public_numbers(), certificate.public_key().public_numbers()
        )
        certificate.public_key().verify(
            certificate.signature,
            certificate.tbs_certificate_bytes,
            padding.PKCS1v15(),
            certificate.signature_hash_algorithm,
        )
        self.assertLessEqual(certificate.not_valid_before_utc, before)
        lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
        self.assertEqual(lifetime, datetime.timedelta(days=3650))
        self.assertGreater(
            certificate.not_valid_after_utc, before + datetime.timedelta(days=3600)
        )

    def test_commonName(self) -> None:
        """
        The common name of a generated certificate can be chosen.
        """
        certPath, keyPath = self.paths()
        loadOrCreateTLSCertificate(certPath, keyPath, commonName="db.example.com")
        certificate = x509.load_pem_x509_certificate(_read(certPath))
        [commonName] = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.assertEqual(commonName.value, "db.example.com")

    def test_reload(self) -> None:
        """
        Existing files are loaded unchanged.
        """
        certPath, keyPath = self.paths()
        first = loadOrCreateTLSCertificate(certPath, keyPath)
        before = (_read(certPath), _read(keyPath))
        second = loadOrCreateTLSCertificate(certPath, keyPath, autoGenerate=False)
        self.assertEqual(
            second.original.to_cryptography(), first.original.to_cryptography()
        )
        self.assertEqual(
            second.privateKey.original.to_cryptography_key().private_numbers(),
            first.privateKey.original.to_cryptography_key().private_numbers(),
        )
        self.assertEqual((_read(certPath), _read(keyPath)), before)

    def test_reloadNonRSA(self) -> None:
        """
        An existing certificate with an elliptic-curve key is accepted.
        """
        certPath, keyPath = self.paths()
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        _write(certPath, certificate.public_bytes(serialization.Encoding.PEM))
        _write(
            keyPath,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        result = loadOrCreateTLSCertificate(certPath, keyPath)
        self.assertEqual(result.original.to_cryptography(), certificate)

    def test_neitherExistsNoAutoGenerate(self) -> None:
        """
        With generation disabled, missing files are an error and nothing is
        created.
        """
        certPath, keyPath = self.paths()
        error = self.assertRaises(
            KeyMaterialError,
            loadOrCreateTLSCertificate,
            certPath,
            keyPath,
            autoGenerate=False,
        )
        self.assertEqual(error.path, certPath)
        self.assertFalse(os.path.exists(certPath))
        self.assertFalse(os.path.exists(keyPath))

    def test_onlyOneExists(self) -> None:
        """
        A certificate without its key, or a key without its certificate, is an
        error naming the missing file.
        """
        certPath, keyPath = self.paths()
        loadOrCreateTLSCertificate(certPath, keyPath)
        keyData = _read(keyPath)
        os.unlink(keyPath)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateTLSCertificate, certPath, keyPath
        )
        self.assertEqual(error.path, keyPath)
        _write(keyPath, keyData)
        os.unlink(certPath)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateTLSCertificate, certPath, keyPath
        )
        self.assertEqual(error.path, certPath)

    def test_garbage(self) -> None:
        """
        A certificate or key file that cannot be parsed is an error naming it.
        """
        certPath, keyPath = self.paths()
        loadOrCreateTLSCertificate(certPath, keyPath)
        goodCert = _read(certPath)
        _write(certPath, b"garbage")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateTLSCertificate, certPath, keyPath
        )
        self.assertEqual(error.path, certPath)
        _write(certPath, goodCert)
        _write(keyPath, b"garbage")
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateTLSCertificate, certPath, keyPath
        )
        self.assertEqual(error.path, keyPath)

    def test_mismatchedKey(self) -> None:
        """
        A key that does not belong to the certificate is an error naming the
        key file.
        """
        certPath, keyPath = self.paths()
        otherCert, otherKey = self.paths()
        loadOrCreateTLSCertificate(certPath, keyPath)
        loadOrCreateTLSCertificate(otherCert, otherKey)
        error = self.assertRaises(
            KeyMaterialError, loadOrCreateTLSCertificate, certPath, otherKey
        )
        self.assertEqual(error.path, otherKey)
        self.assertIn(certPath, error.reason)


def _handshake(
    options: ssl.CertificateOptions, clientContext: stdlibssl.SSLContext
) -> stdlibssl.SSLObject:
    """
    Run a TLS handshake in memory between a server using C{options} and a
    standard library client.

    @param options: the server's options.
    @param clientContext: the client's context.
    @return: the client's finished TLS object.
    @raise stdlibssl.SSLError: if the handshake fails.
    """
    server = SSL.Connection(options.getContext(), None)
    server.set_accept_state()
    incoming = stdlibssl.MemoryBIO()
    outgoing = stdlibssl.MemoryBIO()
    client = clientContext.wrap_bio(incoming, outgoing)
    for _ in range(20):
        try:
            client.do_handshake()
        except stdlibssl.SSLWantReadError:
            pass
        else:
            return client
        data = outgoing.read()
        if data:
            server.bio_write(data)
        try:
            server.do_handshake()
        except SSL.WantReadError:
            pass
        while True:
            try:
                chunk = server.bio_read(65536)
            except SSL.WantReadError:
                break
            incoming.write(chunk)
    raise AssertionError("handshake did not finish")


class ServerTLSOptionsTests(SynchronousTestCase):
    """
    Tests for L{serverTLSOptions}.
    """

    def setUp(self) -> None:
        """
        Make a certificate (once per test class).
        """
        if not hasattr(ServerTLSOptionsTests, "_certificate"):
            directory = self.mktemp()
            os.makedirs(directory)
            ServerTLSOptionsTests._certificate = loadOrCreateTLSCertificate(
                os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
            )
        self.certificate = ServerTLSOptionsTests._certificate

    def test_returnsOptions(self) -> None:
        """
        The result is a Twisted L{ssl.CertificateOptions} that builds a
        context.
        """
        options = serverTLSOptions(self.certificate)
        self.assertIsInstance(options, ssl.CertificateOptions)
        self.assertIsInstance(options.getContext(), SSL.Context)

    def test_oldProtocolsDisabled(self) -> None:
        """
        SSLv3, TLS 1.0 and TLS 1.1 are switched off in the context; TLS 1.2 is
        not.
        """
        context = serverTLSOptions(self.certificate).getContext()
        current = context.set_options(0)
        for flag in [SSL.OP_NO_SSLv3, SSL.OP_NO_TLSv1, SSL.OP_NO_TLSv1_1]:
            self.assertTrue(current & flag, hex(flag))
        self.assertFalse(current & SSL.OP_NO_TLSv1_2)

    def test_handshake(self) -> None:
        """
        A TLS 1.2-only client completes a handshake and is shown our
        certificate.
        """
        client = stdlibssl.SSLContext(stdlibssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = stdlibssl.CERT_NONE
        client.minimum_version = stdlibssl.TLSVersion.TLSv1_2
        client.maximum_version = stdlibssl.TLSVersion.TLSv1_2
        session = _handshake(serverTLSOptions(self.certificate), client)
        self.assertEqual(session.version(), "TLSv1.2")
        self.assertEqual(
            session.getpeercert(binary_form=True),
            self.certificate.original.to_cryptography().public_bytes(
                serialization.Encoding.DER
            ),
        )

    def test_oldPyOpenSSLFallback(self) -> None:
        """
        With a pyOpenSSL that only takes its own objects, those are used.
        """

        def refuse(self, certificate):
            raise TypeError("old pyOpenSSL")

        self.patch(SSL.Context, "use_certificate", refuse)
        privateKey, certificate = keys._contextObjects(self.certificate)
        self.assertIs(privateKey, self.certificate.privateKey.original)
        self.assertIs(certificate, self.certificate.original)
