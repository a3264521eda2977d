# -*- test-case-name: tests.test_hashing -*-
# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Password hashing and challenge/response arithmetic for MySQL's built-in
authentication methods: C{mysql_native_password}, C{caching_sha2_password}
and C{sha256_password}.

Everything here is a pure function over L{bytes}: no I/O, no clock, no
global state except the system random source used by L{makeNonce} and the
salt generators.  Comparisons against secrets go through
L{hmac.compare_digest}.

Stored formats (the C{authentication_string} column of C{mysql.user}):

  - C{mysql_native_password}: C{b"*"} followed by 40 upper-case hex digits of
    C{SHA1(SHA1(password))}; L{nativeHash}.
  - C{caching_sha2_password}: C{b"$A$"}, three hex digits of rounds / 1000,
    C{b"$"}, a 20-byte salt and a 43-character SHA-crypt digest;
    L{cachingSHA2Hash}.
  - C{sha256_password}: C{b"$5$"}, a 20-byte salt, C{b"$"} and a 43-character
    SHA-crypt digest made with 5000 rounds; L{sha256PasswordHash}.

In each format the empty string means "no password".

Both SHA-2 formats use Ulrich Drepper's SHA-crypt (the algorithm behind
glibc's C{$5$} hashes), but MySQL feeds it the full 20-byte salt where glibc
stops at 16, so glibc's C{crypt(3)} cannot verify MySQL hashes.
L{shaCrypt256} is our own implementation of the algorithm without the salt
cut.

Speed: a login that misses the caching_sha2_password cache, and every
sha256_password login, costs one 5000-round SHA-crypt.  L{shaCrypt256}
precomputes the byte strings each round hashes around the previous digest
(the pattern repeats every 42 rounds) and runs two rounds per loop step, so
the loop does nothing but one concatenation and one C{hashlib} call per
round.  Measured on the development machine (Python 3.11, OpenSSL-backed
C{hashlib}, best of 7 runs of 200 calls): about 1850-1950 microseconds per
5000-round call with a 12-byte password and a 16- or 20-byte salt, 2300 with
a 100-byte password and 3050 with a 256-byte one.  glibc's C{crypt()} for
the same C{$5$} hash takes about 1950 microseconds with the 12-byte password
and 4500 with the 100-byte one on the same machine.  What remains is the
cost of the C{hashlib} call itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import List, Optional, Tuple

__all__ = [
    "NONCE_LENGTH",
    "SALT_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "DEFAULT_ROUNDS",
    "MIN_CACHING_SHA2_ROUNDS",
    "MAX_CACHING_SHA2_ROUNDS",
    "makeNonce",
    "nativeHash",
    "nativeStage2",
    "nativeScramble",
    "checkNativeScramble",
    "shaCrypt256",
    "cachingSHA2Hash",
    "parseCachingSHA2Hash",
    "verifyCachingSHA2",
    "cachingSHA2FastDigest",
    "cachingSHA2Scramble",
    "checkCachingSHA2Scramble",
    "sha256PasswordHash",
    "verifySHA256Password",
    "validateCachingSHA2AuthString",
    "validateSHA256AuthString",
    "validateNativeAuthString",
]

#: Length of the challenge ("scramble") the server sends, and of the salts
#: stored in the SHA-2 formats.
NONCE_LENGTH = 20

#: Length of the salt in a C{caching_sha2_password} or C{sha256_password}
#: stored hash (MySQL's C{CRYPT_SALT_LENGTH}).
SALT_LENGTH = 20

#: MySQL refuses to hash or check passwords longer than this many bytes
#: (C{MAX_PLAINTEXT_LENGTH} / C{CACHING_SHA2_PASSWORD_MAX_PASSWORD_LENGTH}).
MAX_PASSWORD_LENGTH = 256

#: SHA-crypt's default number of rounds; what C{sha256_password} always uses
#: and what C{caching_sha2_password} uses unless configured otherwise.
DEFAULT_ROUNDS = 5000

#: Range of rounds MySQL's SHA-crypt accepts for C{caching_sha2_password}
#: (C{ROUNDS_MIN} / C{ROUNDS_MAX} in C{crypt_genhash_impl.h}); the stored
#: field is three hex digits of rounds / 1000, so C{0xFFF * 1000} is the top.
MIN_CACHING_SHA2_ROUNDS = 5000
MAX_CACHING_SHA2_ROUNDS = 0xFFF * 1000

_NATIVE_PREFIX = b"*"
_NATIVE_LENGTH = 41
_CACHING_SHA2_PREFIX = b"$A$"
_CACHING_SHA2_LENGTH = 3 + 3 + 1 + SALT_LENGTH + 43
_SHA256_PREFIX = b"$5$"
_DIGEST_LENGTH = 43
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

#: Every byte to its low 7 bits; and the bytes whose low 7 bits are 0x00 or
#: 0x24 (C{"$"}), which a salt never holds.
_SALT_MASK = bytes(value & 0x7F for value in range(256))
_SALT_REJECTED = bytes((0x00, 0x24, 0x80, 0xA4))

# crypt(3)'s base-64 alphabet, and the order in which SHA-crypt-256 takes the
# 32 digest bytes, three at a time, into groups of four characters (the last
# group holds only two bytes and gives three characters).
_CRYPT64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CRYPT64_SET = frozenset(_CRYPT64)
_SHA256_TRIPLETS = (
    (0, 10, 20),
    (21, 1, 11),
    (12, 22, 2),
    (3, 13, 23),
    (24, 4, 14),
    (15, 25, 5),
    (6, 16, 26),
    (27, 7, 17),
    (18, 28, 8),
    (9, 19, 29),
)


def _xor(left: bytes, right: bytes) -> bytes:
    """
    XOR two byte strings of the same length.

    @param left: the first operand.
    @param right: the second operand, as long as C{left}.
    @return: the byte-wise exclusive or.
    """
    size = len(left)
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(
        size, "big"
    )


def _randomSaltBytes(count: int) -> bytes:
    """
    Random bytes in MySQL's salt alphabet.

    MySQL's C{generate_user_salt} masks random bytes to 7 bits and bumps
    C{0x00} and C{0x24} (C{"$"}) up by one; we instead reject those values,
    which gives the same set (C{0x01}-C{0x7F} without C{0x24}) with a uniform
    distribution.

    @param count: how many bytes to return.
    @return: C{count} bytes, each in C{0x01}-C{0x7F} and none equal to
        C{0x24}.
    """
    # C-level byte operations (a Python loop over the bytes was a tenth of
    # the CPU of a greeting): drop the random bytes whose low 7 bits are
    # 0x00 or 0x24, then mask the rest to 7 bits.
    result = b""
    while len(result) < count:
        result += secrets.token_bytes(count + 8).translate(_SALT_MASK, _SALT_REJECTED)
    return result[:count]


#: How many nonces are made at once.
_NONCE_BATCH = 64

#: Nonces made ahead, a batch at a time: one system call for many
#: greetings instead of one each. C{list.pop} is atomic, so two threads
#: never take the same one; a forked child starts with none.
_noncePool: List[bytes] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_noncePool.clear)


def makeNonce() -> bytes:
    """
    Make a challenge ("scramble") for one authentication exchange.

    @return: L{NONCE_LENGTH} random bytes, each in C{0x01}-C{0x7F} and none
        equal to C{0x24} (C{"$"}), as MySQL's C{generate_user_salt} makes
        them; clients send them back unchanged in several plugins, so the
        byte rules matter.
    """
    while True:
        try:
            return _noncePool.pop()
        except IndexError:
            block = _randomSaltBytes(NONCE_LENGTH * _NONCE_BATCH)
            _noncePool.extend(
                [block[i : i + NONCE_LENGTH] for i in range(0, len(block), NONCE_LENGTH)]
            )


# mysql_native_password


def nativeHash(password: bytes) -> bytes:
    """
    Compute the stored form of a C{mysql_native_password} password.

    @param password: the password.
    @return: C{b"*"} followed by the 40 upper-case hex digits of
        C{SHA1(SHA1(password))}, or C{b""} for an empty password.
    """
    if not password:
        return b""
    stage2 = hashlib.sha1(hashlib.sha1(password).digest()).hexdigest()
    return _NATIVE_PREFIX + stage2.upper().encode("ascii")


def nativeStage2(authString: bytes) -> Optional[bytes]:
    """
    Extract C{SHA1(SHA1(password))} from a stored C{mysql_native_password}
    value.

    @param authString: the stored value, C{b"*"} and 40 hex digits (either
        case).
    @return: the 20-byte stage-2 digest, or L{None} when C{authString} is not
        of that form (including the empty string, which means "no password"
        and matches no scramble).
    """
    # (Without a regular expression: this runs once per native login.)
    if len(authString) != _NATIVE_LENGTH or authString[:1] != _NATIVE_PREFIX:
        return None
    try:
        stage2 = bytes.fromhex(authString[1:].decode("ascii"))
    except ValueError:
        return None
    # fromhex skips white space between pairs: then it is short.
    return stage2 if len(stage2) == 20 else None


def _isNativeHash(authString: bytes) -> bool:
    """
    Tell whether a value is a well-formed C{"*"} + 40-hex-digit native hash.

    @param authString: the candidate.
    @return: L{True} if it is.
    """
    return nativeStage2(authString) is not None


def nativeScramble(password: bytes, nonce: bytes) -> bytes:
    """
    Compute a client's C{mysql_native_password} response (what a client
    sends; used by tests and by our test client).

    @param password: the password.
    @param nonce: the server's 20-byte challenge.
    @return: C{SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))}, or
        C{b""} for an empty password (clients send an empty response then).
    """
    if not password:
        return b""
    stage1 = hashlib.sha1(password).digest()
    stage2 = hashlib.sha1(stage1).digest()
    return _xor(stage1, hashlib.sha1(nonce + stage2).digest())


def checkNativeScramble(nonce: bytes, response: bytes, stage2: bytes) -> bool:
    """
    Check a client's C{mysql_native_password} response against the stored
    stage-2 digest.

    @param nonce: the challenge this server sent.
    @param response: what the client answered.
    @param stage2: C{SHA1(SHA1(password))}, from L{nativeStage2}.
    @return: L{True} if the response proves knowledge of the password;
        L{False} otherwise, including for a response that is not 20 bytes
        long.
    """
    if len(response) != 20 or len(stage2) != 20:
        return False
    candidateStage1 = _xor(hashlib.sha1(nonce + stage2).digest(), response)
    return hmac.compare_digest(hashlib.sha1(candidateStage1).digest(), stage2)


# SHA-crypt (Drepper), SHA-256 variant


def _repeatTo(block: bytes, length: int) -> bytes:
    """
    Repeat a byte string and cut it to a given length.

    @param block: the string to repeat (not empty unless C{length} is 0).
    @param length: the wanted length.
    @return: C{length} bytes made of copies of C{block}.
    """
    if not length:
        return b""
    return (block * (length // len(block) + 1))[:length]


def _cryptBase64(digest: bytes) -> bytes:
    """
    Encode a SHA-256 digest the way SHA-crypt does.

    @param digest: the 32-byte digest.
    @return: 43 characters from the crypt alphabet.
    """
    alphabet = _CRYPT64
    out = bytearray()
    for first, second, third in _SHA256_TRIPLETS:
        value = (digest[first] << 16) | (digest[second] << 8) | digest[third]
        for _ in range(4):
            out.append(alphabet[value & 0x3F])
            value >>= 6
    value = (digest[31] << 8) | digest[30]
    for _ in range(3):
        out.append(alphabet[value & 0x3F])
        value >>= 6
    return bytes(out)


def shaCrypt256(password: bytes, salt: bytes, rounds: int) -> bytes:
    """
    Run SHA-crypt with SHA-256 (Drepper's "Unix crypt using SHA-256",
    steps 1 to 22) and return the encoded digest.

    Unlike glibc's C{crypt()}, the salt is used whole, as MySQL does with
    its 20-byte salts, and C{rounds} is used as given: clamping it into a
    range, as both Drepper's spec and MySQL do (with different ranges), is the
    caller's job.

    @param password: the password.
    @param salt: the salt, used in full.
    @param rounds: the number of rounds of step 21, at least 1.
    @return: the 43-character crypt-base64 encoding of the final digest (what
        follows the last C{"$"} in a C{$5$} hash).
    @raise ValueError: if C{rounds} is less than 1.
    """
    if rounds < 1:
        raise ValueError(f"SHA-crypt needs at least one round, not {rounds!r}")
    sha256 = hashlib.sha256
    passwordLength = len(password)

    # Steps 1-12: digest A.
    digestB = sha256(password + salt + password).digest()
    context = sha256(password + salt + _repeatTo(digestB, passwordLength))
    length = passwordLength
    while length:
        context.update(digestB if length & 1 else password)
        length >>= 1
    digest = context.digest()

    # Steps 13-20: the P and S byte sequences.
    pBytes = _repeatTo(sha256(password * passwordLength).digest(), passwordLength)
    sBytes = _repeatTo(sha256(salt * (16 + digest[0])).digest(), len(salt))

    # Step 21.  Round i hashes, around the previous digest C:
    #   odd i:  P [+ S if i % 3] [+ P if i % 7] + C
    #   even i: C [+ S if i % 3] [+ P if i % 7] + P
    # so an odd round is sha256(prefix + C) and an even one sha256(C + suffix),
    # and the choice repeats every lcm(2, 3, 7) = 42 rounds.  Pair each even
    # round with the odd round after it.
    pairs = []
    for even in range(0, 42, 2):
        odd = even + 1
        suffix = (
            (sBytes if even % 3 else b"") + (pBytes if even % 7 else b"") + pBytes
        )
        prefix = pBytes + (sBytes if odd % 3 else b"") + (pBytes if odd % 7 else b"")
        pairs.append((suffix, prefix))

    cycles, remainder = divmod(rounds, 42)
    for _ in range(cycles):
        for suffix, prefix in pairs:
            digest = sha256(prefix + sha256(digest + suffix).digest()).digest()
    for index in range(remainder):
        suffix, prefix = pairs[index >> 1]
        if index & 1:
            digest = sha256(prefix + digest).digest()
        else:
            digest = sha256(digest + suffix).digest()

    # Step 22: encoding.
    return _cryptBase64(digest)


def _isCryptDigest(digest: bytes) -> bool:
    """
    Tell whether a value could be an encoded SHA-crypt-256 digest.

    @param digest: the candidate.
    @return: L{True} if it is 43 characters of the crypt alphabet.
    """
    return len(digest) == _DIGEST_LENGTH and all(c in _CRYPT64_SET for c in digest)


def _isUsableSalt(salt: bytes) -> bool:
    """
    Tell whether MySQL's SHA-crypt would use every byte of a salt.

    MySQL's C{my_crypt_genhash} stops the salt at the first C{"$"} (and, being
    C code, at the first NUL), so salts with either byte are never produced and
    could not be reproduced faithfully.

    @param salt: the candidate salt.
    @return: L{True} if C{salt} has neither a NUL nor a C{"$"} byte.
    """
    return b"\0" not in salt and b"$" not in salt


# caching_sha2_password


def _checkPasswordLength(password: bytes) -> None:
    """
    Refuse passwords MySQL refuses to hash.

    @param password: the password.
    @raise ValueError: if it is longer than L{MAX_PASSWORD_LENGTH} bytes.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"password is {len(password)} bytes long;"
            f" at most {MAX_PASSWORD_LENGTH} are allowed"
        )


def _checkGivenSalt(salt: bytes, minimum: int) -> None:
    """
    Refuse a caller-supplied salt MySQL could not have made.

    @param salt: the salt.
    @param minimum: the shortest acceptable length (the longest is
        L{SALT_LENGTH}).
    @raise ValueError: if the salt is too short or too long or has a NUL or
        C{"$"} byte.
    """
    if not minimum <= len(salt) <= SALT_LENGTH:
        if minimum == SALT_LENGTH:
            wanted = f"{SALT_LENGTH} bytes"
        else:
            wanted = f"{minimum} to {SALT_LENGTH} bytes"
        raise ValueError(f"salt must be {wanted}, not {len(salt)}")
    if not _isUsableSalt(salt):
        raise ValueError("salt must not contain NUL or '$' bytes")


def cachingSHA2Hash(
    password: bytes, salt: Optional[bytes] = None, rounds: int = DEFAULT_ROUNDS
) -> bytes:
    """
    Compute the stored form of a C{caching_sha2_password} password.

    @param password: the password, at most L{MAX_PASSWORD_LENGTH} bytes.
    @param salt: the 20-byte salt, or L{None} for a fresh random one made
        by MySQL's rules (see L{makeNonce}).
    @param rounds: the number of SHA-crypt rounds: a multiple of 1000 from
        L{MIN_CACHING_SHA2_ROUNDS} to L{MAX_CACHING_SHA2_ROUNDS}.
    @return: C{b"$A$"}, three upper-case hex digits of C{rounds // 1000},
        C{b"$"}, the salt and the 43-character digest (70 bytes); or C{b""}
        for an empty password.
    @raise ValueError: for a password that is too long, a bad salt, or rounds
        out of range or not a multiple of 1000.
    """
    if (
        rounds % 1000
        or not MIN_CACHING_SHA2_ROUNDS <= rounds <= MAX_CACHING_SHA2_ROUNDS
    ):
        raise ValueError(
            f"rounds must be a multiple of 1000 from {MIN_CACHING_SHA2_ROUNDS}"
            f" to {MAX_CACHING_SHA2_ROUNDS}, not {rounds!r}"
        )
    _checkPasswordLength(password)
    if salt is None:
        salt = _randomSaltBytes(SALT_LENGTH)
    else:
        _checkGivenSalt(salt, SALT_LENGTH)
    if not password:
        return b""
    return b"%s%03X$%s%s" % (
        _CACHING_SHA2_PREFIX,
        rounds // 1000,
        salt,
        shaCrypt256(password, salt, rounds),
    )


def parseCachingSHA2Hash(authString: bytes) -> Tuple[int, bytes, bytes]:
    """
    Split a stored C{caching_sha2_password} value into its parts.

    The checks follow MySQL's own parser (C{Caching_sha2_password::
    deserialize}), which accepts any 20 salt bytes and any 43 digest bytes;
    whether such a value can ever match is L{verifyCachingSHA2}'s business.
    MySQL's unusable placeholder
    C{$A$005$THISISACOMBINATIONOFINVALIDSALTANDPASSWORDTHATMUSTNEVERBRBEUSED}
    parses.

    @param authString: the stored value.
    @return: C{(rounds, salt, digest)}: the nominal number of rounds (the hex
        field times 1000), the 20-byte salt and the 43-byte digest.
    @raise ValueError: if the value does not have the C{$A$} layout: prefix,
        three hex digits that are not all zero, C{"$"}, 20 bytes of salt and 43
        bytes of digest (70 bytes in all).
    """
    if not isinstance(authString, bytes):
        raise ValueError("a caching_sha2_password hash must be bytes")
    if authString[:3] != _CACHING_SHA2_PREFIX:
        raise ValueError("a caching_sha2_password hash starts with '$A$'")
    if len(authString) != _CACHING_SHA2_LENGTH:
        raise ValueError(
            f"a caching_sha2_password hash is {_CACHING_SHA2_LENGTH} bytes long,"
            f" not {len(authString)}"
        )
    field = authString[3:6]
    if authString[6:7] != b"$" or not all(c in _HEX_DIGITS for c in field):
        raise ValueError(
            "a caching_sha2_password hash has three hex digits and '$'"
            " after '$A$'"
        )
    rounds = int(field, 16) * 1000
    if not rounds:
        raise ValueError("a caching_sha2_password hash cannot have zero rounds")
    salt = authString[7 : 7 + SALT_LENGTH]
    digest = authString[7 + SALT_LENGTH :]
    return rounds, salt, digest


def _effectiveCachingSHA2Rounds(rounds: int) -> int:
    """
    Apply MySQL's round clamping to a parsed round count.

    MySQL's C{my_crypt_genhash} silently uses its default (5000) for any
    round count outside C{ROUNDS_MIN}..C{ROUNDS_MAX}, so a stored C{$A$001$}
    hash is checked with 5000 rounds.

    @param rounds: the nominal rounds from L{parseCachingSHA2Hash}.
    @return: the rounds MySQL actually runs.
    """
    if MIN_CACHING_SHA2_ROUNDS <= rounds <= MAX_CACHING_SHA2_ROUNDS:
        return rounds
    return DEFAULT_ROUNDS


def verifyCachingSHA2(authString: bytes, password: bytes) -> bool:
    """
    Check a cleartext password against a stored C{caching_sha2_password}
    value (the "full authentication" path).

    @param authString: the stored value.
    @param password: the password the client sent.
    @return: L{True} if the password matches.  An empty C{authString} matches
        only the empty password.  A malformed value, one whose salt holds a
        NUL or C{"$"} byte, one whose digest is not in the crypt alphabet, and
        any password longer than L{MAX_PASSWORD_LENGTH} bytes give L{False}.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    if not authString:
        return not password
    try:
        rounds, salt, digest = parseCachingSHA2Hash(authString)
    except ValueError:
        return False
    if not _isUsableSalt(salt) or not _isCryptDigest(digest):
        return False
    computed = shaCrypt256(password, salt, _effectiveCachingSHA2Rounds(rounds))
    return hmac.compare_digest(computed, digest)


def cachingSHA2FastDigest(password: bytes) -> bytes:
    """
    Compute the value the C{caching_sha2_password} cache holds for an
    account after a successful full authentication.

    @param password: the password.
    @return: C{SHA256(SHA256(password))}, 32 bytes.
    """
    return hashlib.sha256(hashlib.sha256(password).digest()).digest()


def cachingSHA2Scramble(password: bytes, nonce: bytes) -> bytes:
    """
    Compute a client's C{caching_sha2_password} fast-path response (what a
    client sends; used by tests and by our test client).

    @param password: the password.
    @param nonce: the server's 20-byte challenge (without the trailing NUL).
    @return: C{SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)},
        32 bytes; or C{b""} for an empty password (clients send an empty
        response then).
    """
    if not password:
        return b""
    stage1 = hashlib.sha256(password).digest()
    stage2 = hashlib.sha256(stage1).digest()
    return _xor(stage1, hashlib.sha256(stage2 + nonce).digest())


def checkCachingSHA2Scramble(nonce: bytes, scramble: bytes, fastDigest: bytes) -> bool:
    """
    Check a client's C{caching_sha2_password} fast-path response against
    the cached digest.

    @param nonce: the challenge this server sent.
    @param scramble: what the client answered.
    @param fastDigest: the cached C{SHA256(SHA256(password))}, from
        L{cachingSHA2FastDigest}.
    @return: L{True} if the response proves knowledge of the password;
        L{False} otherwise, including for a scramble that is not 32 bytes
        long.
    """
    if len(scramble) != 32 or len(fastDigest) != 32:
        return False
    candidateStage1 = _xor(scramble, hashlib.sha256(fastDigest + nonce).digest())
    return hmac.compare_digest(hashlib.sha256(candidateStage1).digest(), fastDigest)


# sha256_password


def sha256PasswordHash(password: bytes, salt: Optional[bytes] = None) -> bytes:
    """
    Compute the stored form of a C{sha256_password} password.

    @param password: the password, at most L{MAX_PASSWORD_LENGTH} bytes.
    @param salt: the salt, or L{None} for a fresh random 20-byte one made by
        MySQL's rules.  A given salt may be 1 to 20 bytes long (MySQL itself
        always makes 20; with 16 or fewer the result equals glibc's C{$5$}
        hash with default rounds).
    @return: C{b"$5$"}, the salt, C{b"$"} and the 43-character SHA-crypt digest
        with 5000 rounds (67 bytes with a 20-byte salt); or C{b""} for an empty
        password.
    @raise ValueError: for a password that is too long or a bad salt.
    """
    _checkPasswordLength(password)
    if salt is None:
        salt = _randomSaltBytes(SALT_LENGTH)
    else:
        _checkGivenSalt(salt, 1)
    if not password:
        return b""
    return b"%s%s$%s" % (
        _SHA256_PREFIX,
        salt,
        shaCrypt256(password, salt, DEFAULT_ROUNDS),
    )


def _parseSHA256PasswordHash(authString: bytes) -> Tuple[bytes, bytes]:
    """
    Split a stored C{sha256_password} value into salt and digest.

    @param authString: the stored value.
    @return: C{(salt, digest)}.
    @raise ValueError: unless the value is C{b"$5$"}, a salt of 1 to 20 bytes
        without NUL or C{"$"}, C{b"$"} and a 43-character crypt digest.
    """
    if not isinstance(authString, bytes) or authString[:3] != _SHA256_PREFIX:
        raise ValueError("a sha256_password hash starts with '$5$'")
    end = authString.find(b"$", 3)
    if end == -1:
        raise ValueError("a sha256_password hash has '$' after its salt")
    salt = authString[3:end]
    digest = authString[end + 1 :]
    if not 1 <= len(salt) <= SALT_LENGTH or b"\0" in salt:
        raise ValueError(
            f"a sha256_password hash has a salt of 1 to {SALT_LENGTH} bytes"
        )
    if not _isCryptDigest(digest):
        raise ValueError(
            "a sha256_password hash ends with a 43-character crypt digest"
        )
    return salt, digest


def verifySHA256Password(authString: bytes, password: bytes) -> bool:
    """
    Check a cleartext password against a stored C{sha256_password} value.

    As MySQL does, the hash is recomputed with the stored salt and 5000
    rounds and the whole string compared.

    @param authString: the stored value.
    @param password: the password the client sent.
    @return: L{True} if the password matches.  An empty C{authString} matches
        only the empty password; a malformed value, or a password longer than
        L{MAX_PASSWORD_LENGTH} bytes, gives L{False}.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    if not authString:
        return not password
    try:
        salt, _ = _parseSHA256PasswordHash(authString)
    except ValueError:
        return False
    computed = b"%s%s$%s" % (
        _SHA256_PREFIX,
        salt,
        shaCrypt256(password, salt, DEFAULT_ROUNDS),
    )
    return hmac.compare_digest(computed, authString)


# Validation of values given with CREATE USER ... IDENTIFIED WITH x AS '...'


def validateCachingSHA2AuthString(authString: bytes) -> bytes:
    """
    Check a value given as a stored C{caching_sha2_password} hash.

    @param authString: the value.
    @return: C{authString} itself, if it is empty or parses with
        L{parseCachingSHA2Hash}.
    @raise ValueError: otherwise.
    """
    if authString == b"":
        return authString
    parseCachingSHA2Hash(authString)
    return authString


def validateSHA256AuthString(authString: bytes) -> bytes:
    """
    Check a value given as a stored C{sha256_password} hash.

    @param authString: the value.
    @return: C{authString} itself, if it is empty or of the form C{b"$5$"},
        1 to 20 salt bytes, C{b"$"} and a 43-character crypt digest.
    @raise ValueError: otherwise.
    """
    if authString == b"":
        return authString
    _parseSHA256PasswordHash(authString)
    return authString


def validateNativeAuthString(authString: bytes) -> bytes:
    """
    Check a value given as a stored C{mysql_native_password} hash.

    @param authString: the value.
    @return: C{authString} itself, if it is empty or C{b"*"} followed by 40
        hex digits (either case).
    @raise ValueError: otherwise.
    """
    if authString == b"":
        return authString
    if not isinstance(authString, bytes) or not _isNativeHash(authString):
        raise ValueError(
            "a mysql_native_password hash is '*' followed by 40 hex digits"
        )
    return authString
