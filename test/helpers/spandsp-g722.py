#!/usr/bin/env python3
"""Reference G.722 through libspandsp (the library behind baresip's g722 module), for cross-checks.

Usage: spandsp-g722.py encode|decode < input > output
  encode: int16 little-endian 16 kHz PCM in, G.722 octets (64 kbit/s) out
  decode: G.722 octets in, int16 little-endian 16 kHz PCM out
Exit status 3 when libspandsp cannot be loaded (Debian package libspandsp2).
"""
import ctypes
import ctypes.util
import sys


def load():
    for name in ("libspandsp.so.2", ctypes.util.find_library("spandsp")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            pass
    sys.stderr.write("libspandsp not found: install the Debian package libspandsp2\n")
    sys.exit(3)


def main():
    lib = load()
    mode = sys.argv[1]
    data = sys.stdin.buffer.read()
    lib.g722_encode_init.restype = ctypes.c_void_p
    lib.g722_decode_init.restype = ctypes.c_void_p
    if mode == "encode":
        state = lib.g722_encode_init(None, 64000, 0)
        n = len(data) // 2
        pcm = (ctypes.c_int16 * n).from_buffer_copy(data[: 2 * n])
        out = (ctypes.c_uint8 * (n // 2 + 1))()
        got = lib.g722_encode(ctypes.c_void_p(state), out, pcm, n)
        sys.stdout.buffer.write(bytes(out)[:got])
    elif mode == "decode":
        state = lib.g722_decode_init(None, 64000, 0)
        n = len(data)
        codes = (ctypes.c_uint8 * n).from_buffer_copy(data)
        out = (ctypes.c_int16 * (2 * n))()
        got = lib.g722_decode(ctypes.c_void_p(state), out, codes, n)
        sys.stdout.buffer.write(bytes(out)[: 2 * got])
    else:
        sys.stderr.write("usage: spandsp-g722.py encode|decode\n")
        sys.exit(2)


main()
