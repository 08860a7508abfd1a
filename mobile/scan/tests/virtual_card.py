#!/usr/bin/python3
"""A virtual contactless wristband for the PC/SC end-to-end tests.

It connects to vpcd (the virtual reader of vsmartcard, loaded by pcscd) like a card put on the
reader, and answers like an NFC wristband behind an ACR122U-style reader:

* ``FF CA 00 00 00`` (GET DATA, UID) -> the UID + ``90 00`` (or the status word given with
  ``--uid-status``, to test a reader that refuses the command);
* ``FF B0 00 pp 04`` (READ BINARY, one NTAG page) -> 4 zero bytes + ``90 00``;
* anything else -> ``6D 00`` (instruction not supported).

Killing the process is taking the card off the reader.

Debian's ``vicc`` does not work as shipped: its module sits outside ``sys.path``, it imports
``Crypto`` while Debian ships ``Cryptodome``, and its ISO 7816 card crashes on ``FF CA``. This
script adds the path, aliases the module and replaces the card's operating system.
"""

import argparse
import importlib
import logging
import sys

sys.path.append("/usr/lib/python3/site-packages/virtualsmartcard")
try:
    import Crypto  # noqa: F401  (a pycryptodome installed under its own name)
except ImportError:
    cryptodome = importlib.import_module("Cryptodome")
    sys.modules["Crypto"] = cryptodome
    for sub in ("Cipher", "Hash", "PublicKey", "Util", "Random", "Signature"):
        try:
            sys.modules["Crypto." + sub] = importlib.import_module("Cryptodome." + sub)
        except ImportError:
            pass
    # vicc imports `Crypto.Hash.SHA`, the old name of SHA1.
    sha1 = importlib.import_module("Cryptodome.Hash.SHA1")
    sys.modules["Crypto.Hash.SHA"] = sha1
    sys.modules["Crypto.Hash"].SHA = sha1

from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC  # noqa: E402

# The ATR a PC/SC reader builds for an ISO 14443-A card such as an NTAG wristband (PC/SC part 3).
CONTACTLESS_ATR = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")


class WristbandOS(SmartcardOS):
    """The card's answers: a UID and empty NTAG pages."""

    def __init__(self, uid, uid_status):
        self.uid = uid
        self.uid_status = uid_status

    def getATR(self):
        return CONTACTLESS_ATR

    def execute(self, msg):
        apdu = bytes(msg)
        if apdu[:4] == bytes.fromhex("FFCA0000"):
            if self.uid_status != b"\x90\x00":
                return self.uid_status
            return self.uid + b"\x90\x00"
        if apdu[:3] == bytes.fromhex("FFB000") and len(apdu) == 5:
            return bytes(apdu[4]) + b"\x90\x00"
        return b"\x6d\x00"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uid", required=True, help="the chip UID in hex, e.g. 04A1B2C3D4E5F6")
    parser.add_argument("--uid-status", default="9000", help="status word for FF CA (hex)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=35963, help="vpcd port (35963: reader 00 00)")
    args = parser.parse_args()

    icc = VirtualICC(None, "iso7816", args.host, args.port, logginglevel=logging.WARNING)
    icc.os = WristbandOS(bytes.fromhex(args.uid), bytes.fromhex(args.uid_status))
    # Tests wait for this line before they expect the card on the reader.
    print("virtual card connected", flush=True)
    icc.run()


if __name__ == "__main__":
    main()
