#!/usr/bin/env python3
"""Signs in to the portal through its pages (password, then a TOTP code) and prints the session
cookie (name=value) for the load generator. Standard library only.

usage: signin.py BASE_URL EMAIL PASSWORD TOTP_SEED
"""
import hashlib
import hmac
import http.cookiejar
import re
import struct
import sys
import time
import urllib.parse
import urllib.request


def totp(seed: bytes, at: float) -> str:
    digest = hmac.new(seed, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def main() -> None:
    base, email, password, seed = sys.argv[1:5]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(path: str) -> str:
        page = opener.open(base + path).read().decode()
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not found:
            sys.exit(f"no form on {path}")
        return found.group(1)

    def post(path: str, fields: dict) -> str:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(base + path, data=data, headers={"Origin": base})
        response = opener.open(request)
        return urllib.parse.urlparse(response.geturl()).path

    landed = post("/login", {"csrf_token": token("/login"), "email": email, "password": password})
    if landed != "/login/mfa":
        sys.exit(f"the password step ended at {landed}")
    landed = post("/login/mfa", {"csrf_token": token("/login/mfa"), "code": totp(seed.encode(), time.time())})
    if landed in ("/login", "/login/mfa"):
        sys.exit(f"the second factor ended at {landed}")
    for cookie in jar:
        if cookie.name.endswith("portal_session"):
            print(f"{cookie.name}={cookie.value}")
            return
    sys.exit("no session cookie")


if __name__ == "__main__":
    main()
