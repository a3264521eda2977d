# -*- test-case-name: tests.test_keys -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Key material kept on disk: the RSA key pair that C{caching_sha2_password}
and C{sha256_password} use to receive passwords over unencrypted
connections, and the server's TLS certificate.

Like MySQL's C{caching_sha2_password_auto_generate_rsa_keys} and
C{auto_generate_certs}, missing files are generated at startup (when both
files of a pair are missing and generation is allowed); existing files are
loaded and checked.  Anything else (one file of a pair missing, a file that
cannot be read or parsed, a key that does not match its partner) raises
L{KeyMaterialError}, because guessing would leave the server unusable or
insecure.

These functions do blocking file I/O and are meant to run once, before the
reactor starts.
"""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING, Callable, Tuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from twisted.internet import ssl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "KeyMaterialError",
    "RSAKeyPair",
    "encryptPassword",
    "loadOrCreateRSAKeyPair",
    "loadOrCreateTLSCertificate",
    "serverTLSOptions",
]

#: Size of keys we generate, as MySQL does.
GENERATED_KEY_BITS = 2048

#: Smallest RSA key we accept from disk.
MINIMUM_KEY_BITS = 2048

#: Lifetime of an auto-generated certificate (MySQL: ten years).
CERTIFICATE_LIFETIME = datetime.timedelta(days=3650)

_PRIVATE_MODE = 0o600
_PUBLIC_MODE = 0o644


class KeyMaterialError(Exception):
    """
    A key or certificate file is missing, unreadable, malformed or does not
    match its partner.

    @ivar path: the file at fault.
    @ivar reason: what is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        """
        @param path: the file at fault.
        @param reason: what is wrong with it, as a sentence fragment.
        """
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        """
        @return: C{"<path>: <reason>"}.
        """
        return f"{self.path}: {self.reason}"


def _oaep() -> padding.OAEP:
    """
    The padding MySQL uses for RSA-encrypted passwords.

    @return: OAEP with SHA-1 and MGF1-SHA-1 (what OpenSSL's
        C{RSA_PKCS1_OAEP_PADDING} means), no label.
    """
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
    )


def _xorWithNonce(data: bytes, nonce: bytes) -> bytes:
    """
    XOR data with a nonce repeated as often as needed.

    @param data: the data.
    @param nonce: the nonce, not empty.
    @return: C{data} XOR C{nonce} repeated to the length of C{data}.
    @raise ValueError: if the nonce is empty.
    """
    if not nonce:
        raise ValueError("the nonce must not be empty")
    size = len(nonce)
    return bytes(byte ^ nonce[index % size] for index, byte in enumerate(data))


def _publicPEM(publicKey: rsa.RSAPublicKey) -> bytes:
    """
    Serialise a public key the way MySQL clients expect it.

    @param publicKey: the key.
    @return: SubjectPublicKeyInfo PEM (C{-----BEGIN PUBLIC KEY-----}).
    """
    return publicKey.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class RSAKeyPair:
    """
    The server's RSA key pair for receiving passwords over unencrypted
    connections.

    @ivar privateKey: the private key.
    @type privateKey: L{rsa.RSAPrivateKey}
    @ivar publicKeyPEM: the public key as SubjectPublicKeyInfo PEM, what the
        server sends to a client that asks for it.
    @type publicKeyPEM: L{bytes}
    @ivar keySize: the modulus size in bytes (256 for a 2048-bit key): the
        length every ciphertext must have.
    @type keySize: L{int}
    """

    def __init__(self, privateKey: rsa.RSAPrivateKey) -> None:
        """
        @param privateKey: the private key; the public half is derived from
            it.
        """
        self.privateKey = privateKey
        self.publicKeyPEM = _publicPEM(privateKey.public_key())
        self.keySize = (privateKey.key_size + 7) // 8

    def __repr__(self) -> str:
        return f"<RSAKeyPair {self.privateKey.key_size} bits>"

    def decryptPassword(self, ciphertext: bytes, nonce: bytes) -> bytes:
        """
        Recover a password a client encrypted with our public key.

        The client encrypts C{(password + b"\\0") XOR nonce} (the nonce
        repeated to the needed length) with RSA-OAEP (SHA-1); we decrypt,
        XOR again and keep the bytes before the first NUL, as MySQL does.

        @param ciphertext: what the client sent.
        @param nonce: the 20-byte challenge this server sent on this
            connection.
        @return: the password; it may be empty.
        @raise ValueError: if the ciphertext is not exactly L{keySize} bytes
            long or does not decrypt.  The message is the same in both cases.
        """
        if not nonce:
            raise ValueError("the nonce must not be empty")
        failure = ValueError("the encrypted password could not be decrypted")
        if len(ciphertext) != self.keySize:
            raise failure
        try:
            plaintext = self.privateKey.decrypt(ciphertext, _oaep())
        except ValueError:
            raise failure from None
        password, _, _ = _xorWithNonce(plaintext, nonce).partition(b"\0")
        return password


def encryptPassword(publicKeyPEM: bytes, password: bytes, nonce: bytes) -> bytes:
    """
    Encrypt a password the way a MySQL client does for C{caching_sha2_password}
    and C{sha256_password} (used by tests and by our test client).

    @param publicKeyPEM: the server's public key, PEM (SubjectPublicKeyInfo or
        PKCS#1).
    @param password: the password.
    @param nonce: the server's 20-byte challenge.
    @return: RSA-OAEP (SHA-1) encryption of C{(password + b"\\0") XOR nonce},
        the nonce repeated to the needed length.
    @raise ValueError: if the key cannot be parsed, is not RSA, or is too
        small for the password.
    """
    try:
        publicKey = serialization.load_pem_public_key(publicKeyPEM)
    except UnsupportedAlgorithm as e:
        raise ValueError(f"unsupported public key: {e}") from None
    if not isinstance(publicKey, rsa.RSAPublicKey):
        raise ValueError("the public key is not an RSA key")
    return publicKey.encrypt(_xorWithNonce(password + b"\0", nonce), _oaep())


# Files


def _readFile(path: str) -> bytes:
    """
    Read a whole file.

    @param path: the file.
    @return: its contents.
    @raise KeyMaterialError: if it cannot be read.
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise KeyMaterialError(path, f"cannot be read: {e.strerror or e}") from None


def _writeNewFile(path: str, data: bytes, mode: int) -> None:
    """
    Create a file that must not exist yet, with the given permissions from the
    start.

    The file is created by L{os.open} with C{O_EXCL} and C{mode}, so a private
    key is never readable by others, not even for a moment, and an existing
    file or symbolic link is never overwritten.  C{fchmod} then sets C{mode}
    exactly, whatever the umask.  A partly written file is removed.

    @param path: the file.
    @param data: its contents.
    @param mode: its permission bits.
    @raise KeyMaterialError: if it cannot be created or written.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, mode)
    except OSError as e:
        raise KeyMaterialError(path, f"cannot be created: {e.strerror or e}") from None
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise KeyMaterialError(path, f"cannot be written: {e.strerror or e}") from None


def _writePair(
    firstPath: str,
    firstData: bytes,
    firstMode: int,
    secondPath: str,
    secondData: bytes,
    secondMode: int,
) -> None:
    """
    Create two new files, or neither.

    @param firstPath: the first file.
    @param firstData: its contents.
    @param firstMode: its permission bits.
    @param secondPath: the second file.
    @param secondData: its contents.
    @param secondMode: its permission bits.
    @raise KeyMaterialError: if either cannot be written; the first is
        removed again if the second fails.
    """
    _writeNewFile(firstPath, firstData, firstMode)
    try:
        _writeNewFile(secondPath, secondData, secondMode)
    except KeyMaterialError:
        try:
            os.unlink(firstPath)
        except OSError:
            pass
        raise


def _checkPresence(
    firstPath: str, secondPath: str, autoGenerate: bool, what: str
) -> bool:
    """
    Decide between loading and generating a pair of files.

    @param firstPath: the first file (the one blamed when both are missing).
    @param secondPath: the second file.
    @param autoGenerate: whether missing files may be generated.
    @param what: a description of the pair, for messages.
    @return: L{True} if both exist (load them), L{False} if neither does and
        generation is allowed.
    @raise KeyMaterialError: if only one exists, or neither does and
        generation is not allowed.
    """
    firstExists = os.path.exists(firstPath)
    secondExists = os.path.exists(secondPath)
    if firstExists and secondExists:
        return True
    if firstExists:
        raise KeyMaterialError(
            secondPath,
            f"does not exist, but its partner {firstPath} does; provide both"
            f" files of the {what} or remove both to have them generated",
        )
    if secondExists:
        raise KeyMaterialError(
            firstPath,
            f"does not exist, but its partner {secondPath} does; provide both"
            f" files of the {what} or remove both to have them generated",
        )
    if not autoGenerate:
        raise KeyMaterialError(
            firstPath,
            f"does not exist and automatic generation of the {what} is disabled",
        )
    return False


def _loadAnyPrivateKey(path: str) -> PrivateKeyTypes:
    """
    Load an unencrypted private key of any type from a PEM file.

    @param path: the file.
    @return: the key.
    @raise KeyMaterialError: if the file cannot be read or is not an
        unencrypted PEM private key.
    """
    data = _readFile(path)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyMaterialError(
            path, "is an encrypted private key; an unencrypted one is required"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyMaterialError(path, "is not a PEM-encoded private key") from None


def _checkRSASize(path: str, key: PrivateKeyTypes) -> None:
    """
    Refuse small RSA keys.

    @param path: the file the key came from, for the message.
    @param key: the key; keys of other types pass.
    @raise KeyMaterialError: if C{key} is RSA and smaller than
        L{MINIMUM_KEY_BITS}.
    """
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MINIMUM_KEY_BITS:
        raise KeyMaterialError(
            path,
            f"holds a {key.key_size}-bit key; at least {MINIMUM_KEY_BITS} bits"
            f" are required",
        )


def _loadPrivateKey(path: str) -> rsa.RSAPrivateKey:
    """
    Load an unencrypted RSA private key from a PEM file.

    @param path: the file.
    @return: the key.
    @raise KeyMaterialError: if the file cannot be read, is not an unencrypted
        PEM private key, is not RSA or is smaller than L{MINIMUM_KEY_BITS}.
    """
    key = _loadAnyPrivateKey(path)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyMaterialError(path, "is not an RSA private key")
    _checkRSASize(path, key)
    return key


def _loadPublicKey(path: str) -> rsa.RSAPublicKey:
    """
    Load an RSA public key from a PEM file.

    @param path: the file.
    @return: the key.
    @raise KeyMaterialError: if the file cannot be read, is not a PEM public
        key or is not RSA.
    """
    data = _readFile(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyMaterialError(path, "is not a PEM-encoded public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyMaterialError(path, "is not an RSA public key")
    return key


def _privatePEM(privateKey: PrivateKeyTypes) -> bytes:
    """
    Serialise a private key for storage.

    @param privateKey: the key.
    @return: unencrypted PKCS#8 PEM.
    """
    return privateKey.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _generateKey() -> rsa.RSAPrivateKey:
    """
    Generate a key as MySQL does.

    @return: a new RSA key of L{GENERATED_KEY_BITS} bits with public exponent
        65537.
    """
    return rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_KEY_BITS)


def loadOrCreateRSAKeyPair(
    privatePath: str, publicPath: str, autoGenerate: bool = True
) -> RSAKeyPair:
    """
    Load the RSA key pair, generating it first if neither file exists.

    A generated pair is 2048-bit RSA with exponent 65537; the private key is
    written as unencrypted PKCS#8 PEM with mode 0600, the public key as
    SubjectPublicKeyInfo PEM with mode 0644.

    @param privatePath: the private key file.
    @param publicPath: the public key file.
    @param autoGenerate: whether to generate the pair when both files are
        missing.
    @return: the key pair.
    @raise KeyMaterialError: if only one file exists, neither exists and
        C{autoGenerate} is false, a file cannot be read, written or parsed,
        a key is not RSA or too small, or the public key does not belong to
        the private key.
    """
    privatePath = os.fspath(privatePath)
    publicPath = os.fspath(publicPath)
    if not _checkPresence(privatePath, publicPath, autoGenerate, "RSA key pair"):
        privateKey = _generateKey()
        _writePair(
            privatePath,
            _privatePEM(privateKey),
            _PRIVATE_MODE,
            publicPath,
            _publicPEM(privateKey.public_key()),
            _PUBLIC_MODE,
        )
        return RSAKeyPair(privateKey)

    privateKey = _loadPrivateKey(privatePath)
    publicKey = _loadPublicKey(publicPath)
    if publicKey.public_numbers() != privateKey.public_key().public_numbers():
        raise KeyMaterialError(
            publicPath, f"does not hold the public half of the key in {privatePath}"
        )
    return RSAKeyPair(privateKey)


# TLS


def _selfSignedCertificate(
    privateKey: rsa.RSAPrivateKey,
    commonName: str,
    now: Callable[[], datetime.datetime],
) -> x509.Certificate:
    """
    Make a self-signed server certificate.

    @param privateKey: the certificate's key, which also signs it.
    @param commonName: the subject and issuer common name.
    @param now: returns the current time (UTC).
    @return: a certificate valid from a day ago for L{CERTIFICATE_LIFETIME},
        for TLS server authentication.
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, commonName)])
    start = now() - datetime.timedelta(days=1)
    publicKey = privateKey.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(publicKey)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(publicKey), critical=False)
    )
    return builder.sign(privateKey, hashes.SHA256())


def _utcNow() -> datetime.datetime:
    """
    @return: the current time, timezone-aware, in UTC.
    """
    return datetime.datetime.now(datetime.timezone.utc)


def _loadCertificate(path: str) -> Tuple[x509.Certificate, bytes]:
    """
    Load a PEM certificate.

    @param path: the file.
    @return: the certificate and its PEM encoding.
    @raise KeyMaterialError: if the file cannot be read or holds no PEM
        certificate.
    """
    data = _readFile(path)
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise KeyMaterialError(path, "is not a PEM-encoded certificate") from None
    return certificate, certificate.public_bytes(serialization.Encoding.PEM)


def _publicKeyDER(publicKey: object) -> bytes:
    """
    Serialise a public key of any type for comparison.

    @param publicKey: the key (RSA, EC, Ed25519, ...).
    @return: its SubjectPublicKeyInfo DER encoding.
    """
    return publicKey.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def loadOrCreateTLSCertificate(
    certPath: str,
    keyPath: str,
    autoGenerate: bool = True,
    commonName: str = "twisted_mysqlauth auto-generated server certificate",
) -> ssl.PrivateCertificate:
    """
    Load the server's TLS certificate and key, generating a self-signed pair
    first if neither file exists (as MySQL's C{auto_generate_certs} does).

    A generated pair is a 2048-bit RSA key, written as unencrypted PKCS#8 PEM
    with mode 0600, and a self-signed certificate for it valid for ten years,
    written as PEM with mode 0644.

    @param certPath: the certificate file.
    @param keyPath: the private key file.
    @param autoGenerate: whether to generate the pair when both files are
        missing.
    @param commonName: the subject common name of a generated certificate.
    @return: the certificate with its key.
    @raise KeyMaterialError: if only one file exists, neither exists and
        C{autoGenerate} is false, a file cannot be read, written or parsed,
        the key is an RSA key smaller than L{MINIMUM_KEY_BITS} (keys of other
        types are accepted), or the key does not belong to the certificate.
    """
    certPath = os.fspath(certPath)
    keyPath = os.fspath(keyPath)
    if not _checkPresence(certPath, keyPath, autoGenerate, "TLS certificate"):
        privateKey = _generateKey()
        certificate = _selfSignedCertificate(privateKey, commonName, _utcNow)
        certificatePEM = certificate.public_bytes(serialization.Encoding.PEM)
        keyPEM = _privatePEM(privateKey)
        _writePair(keyPath, keyPEM, _PRIVATE_MODE, certPath, certificatePEM, _PUBLIC_MODE)
        return ssl.PrivateCertificate.loadPEM(certificatePEM + keyPEM)

    certificate, certificatePEM = _loadCertificate(certPath)
    privateKey = _loadAnyPrivateKey(keyPath)
    _checkRSASize(keyPath, privateKey)
    if _publicKeyDER(certificate.public_key()) != _publicKeyDER(
        privateKey.public_key()
    ):
        raise KeyMaterialError(
            keyPath, f"does not hold the private key of the certificate in {certPath}"
        )
    return ssl.PrivateCertificate.loadPEM(certificatePEM + _privatePEM(privateKey))


def _contextObjects(
    privateCertificate: ssl.PrivateCertificate,
) -> Tuple[object, object]:
    """
    Pick the certificate and key objects to give to pyOpenSSL.

    Recent pyOpenSSL takes L{cryptography} objects and deprecates its own
    C{X509} and C{PKey}; older releases take only their own.  Try the former
    on a scratch context and fall back to the latter.

    @param privateCertificate: the certificate and key.
    @return: C{(privateKey, certificate)} in a form the installed pyOpenSSL
        accepts without warnings.
    """
    from OpenSSL import SSL

    pyOpenSSLKey = privateCertificate.privateKey.original
    pyOpenSSLCertificate = privateCertificate.original
    try:
        privateKey = pyOpenSSLKey.to_cryptography_key()
        certificate = pyOpenSSLCertificate.to_cryptography()
        scratch = SSL.Context(SSL.TLS_METHOD)
        scratch.use_certificate(certificate)
        scratch.use_privatekey(privateKey)
    except (AttributeError, TypeError):
        return pyOpenSSLKey, pyOpenSSLCertificate
    return privateKey, certificate


def serverTLSOptions(
    privateCertificate: ssl.PrivateCertificate,
) -> ssl.CertificateOptions:
    """
    Make the TLS settings for the server side of a connection.

    @param privateCertificate: the server's certificate and key, e.g. from
        L{loadOrCreateTLSCertificate}.
    @return: options that offer TLS 1.2 and newer only, with Twisted's default
        cipher selection, no session resumption and no request for a client
        certificate.
    """
    privateKey, certificate = _contextObjects(privateCertificate)
    return ssl.CertificateOptions(
        privateKey=privateKey,
        certificate=certificate,
        raiseMinimumTo=ssl.TLSVersion.TLSv1_2,
        enableSessions=False,
        enableSessionTickets=False,
    )
