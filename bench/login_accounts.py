#!/usr/bin/env python3
"""Staff accounts for bench/login.sh: enrols the owner of a fresh `praxis init --json`,
invites ACCOUNTS colleagues (reception), enrols each (password and TOTP second factor, as
a person would) and prints one line per single-use sign-in: "EMAIL RECOVERY_CODE"
(ten per account). Standard library only.

Usage: login_accounts.py URL INIT_JSON ACCOUNTS PASSWORD
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.request


def call(url, path, body, cookie=None, csrf=None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    if csrf:
        request.add_header("X-CSRF-Token", csrf)
    with urllib.request.urlopen(request) as answer:
        return json.load(answer), answer.headers


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def enrol(url, token, password):
    """Password and second factor for an enrolment token; the account's recovery codes."""
    answer, _ = call(url, "/api/v1/auth/enrol", {"token": token, "password": password})
    call(url, "/api/v1/auth/enrol/confirm", {"token": token, "totp": totp(answer["totp_secret"])})
    return answer["recovery_codes"]


def main():
    url, init_json, accounts, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(init_json) as f:
        init = json.load(f)
    owner = init["practice"]["owner"]
    codes = enrol(url, owner["enrolment_token"], password)
    answer, headers = call(url, "/api/v1/auth/login", {
        "email": "owner@bench.example", "password": password, "recovery_code": codes[0]})
    cookie = headers["Set-Cookie"].split(";")[0]
    csrf = answer["csrf_token"]
    for i in range(accounts):
        email = "empfang%d@bench.example" % i
        invited, _ = call(url, "/api/v1/users", {"email": email, "role": "reception"},
                          cookie, csrf)
        token = invited["enrolment_url"].split("#token=", 1)[1]
        for code in enrol(url, token, password):
            print(email, code)


if __name__ == "__main__":
    main()
