"""
The cost, on this machine, of the primitives of caching_sha2_password full
authentication, in C and in this project's Python:

  - glibc crypt(3) with C{$5$rounds=5000$} (SHA-crypt-256, 5,000 rounds),
    called through ctypes (libcrypt), so the time is glibc's C code;
  - RSA-2048 OAEP (SHA-1) decryption of a password-sized message by
    OpenSSL 3 (through the cryptography package: the call goes straight
    to C{EVP_PKEY_decrypt});
  - SHA-crypt-256 in C over OpenSSL's SHA-256 (bench/shacrypt.c, the way
    MySQL's own my_crypt_genhash computes it), when --shacrypt-lib is given;
  - for comparison, this project's L{shaCrypt256} (Python over hashlib)
    and L{RSAKeyPair.decryptPassword}.

Times are CPU time of this process (time.process_time), so a busy
neighbour on the core inflates them less than wall time would. Prints
one JSON object.

    taskset -c 1 python bench/primitives.py [--iterations N]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = b"bench-full-pw-7"
SALT16 = b"saltsaltsaltsalt"
SALT20 = b"saltsaltsaltsaltsalt"


def bestOf(function, iterations: int, repeats: int = 3) -> float:
    """
    @return: the least CPU time per call, in microseconds, over C{repeats}
        runs of C{iterations} calls.
    """
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(iterations):
            function()
        best = min(best, (time.process_time() - start) / iterations)
    return best * 1e6


def glibcCrypt():
    name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
    lib = ctypes.CDLL(name)
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = b"$5$rounds=5000$" + SALT16 + b"$"
    if not lib.crypt(PASSWORD, setting).startswith(b"$5$rounds=5000$"):
        raise RuntimeError("glibc crypt does not do $5$")
    return lambda: lib.crypt(PASSWORD, setting)


def main() -> None:
    global PASSWORD
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument(
        "--password", default=PASSWORD.decode(), help="the password hashed (its length matters)"
    )
    parser.add_argument(
        "--shacrypt-lib", help="bench/build/libshacrypt.so (SHA-crypt over OpenSSL's SHA-256)"
    )
    args = parser.parse_args()
    PASSWORD = args.password.encode("utf-8")
    n = args.iterations
    result: dict = {"iterations": n, "repeats": 3, "clock": "process_time, best of 3"}

    try:
        result["glibc_crypt_sha256_5000_us"] = bestOf(glibcCrypt(), n)
    except Exception as e:  # recorded, not fatal
        result["glibc_crypt_error"] = repr(e)

    if args.shacrypt_lib:
        try:
            lib = ctypes.CDLL(args.shacrypt_lib)
            out = ctypes.create_string_buffer(44)
            from twisted_mysqlauth.auth import hashing as _hashing

            lib.shacrypt256(PASSWORD, len(PASSWORD), SALT20, len(SALT20), 5000, out)
            if out.value != _hashing.shaCrypt256(PASSWORD, SALT20, 5000):
                raise RuntimeError("libshacrypt disagrees with shaCrypt256")
            result["openssl_shacrypt256_5000_us"] = bestOf(
                lambda: lib.shacrypt256(PASSWORD, len(PASSWORD), SALT20, len(SALT20), 5000, out), n
            )
        except Exception as e:  # recorded, not fatal
            result["openssl_shacrypt_error"] = repr(e)

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    ciphertext = key.public_key().encrypt(PASSWORD + b"\0", oaep)
    result["openssl_rsa2048_oaep_decrypt_us"] = bestOf(lambda: key.decrypt(ciphertext, oaep), n * 4)
    result["c_full_auth_primitives_us"] = (
        result.get("glibc_crypt_sha256_5000_us", float("nan")) + result["openssl_rsa2048_oaep_decrypt_us"]
    )
    if "openssl_shacrypt256_5000_us" in result:
        result["c_openssl_full_auth_primitives_us"] = (
            result["openssl_shacrypt256_5000_us"] + result["openssl_rsa2048_oaep_decrypt_us"]
        )

    from twisted_mysqlauth import keys
    from twisted_mysqlauth.auth import hashing

    result["python_shacrypt256_5000_us"] = bestOf(lambda: hashing.shaCrypt256(PASSWORD, SALT20, 5000), n)
    pair = keys.RSAKeyPair(key)
    nonce = os.urandom(20)
    encrypted = keys.encryptPassword(pair.publicKeyPEM, PASSWORD, nonce)
    result["project_decrypt_password_us"] = bestOf(lambda: pair.decryptPassword(encrypted, nonce), n * 4)
    result["project_full_auth_primitives_us"] = (
        result["python_shacrypt256_5000_us"] + result["project_decrypt_password_us"]
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
