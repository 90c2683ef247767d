"""Mailbox providers of Asia: China (QQ Mail, NetEase 163), Korea (Naver, Daum), Japan (OCN)
and India (Rediffmail)."""

from __future__ import annotations

from smtpdoctor.discovery.providers.model import (
    USERNAME_ADDRESS,
    Credential,
    Fact,
    Provider,
    Refusal,
    Switch,
)
from smtpdoctor.discovery.providers.sourcing import ALL_BASICS, cite, github, ispdb
from smtpdoctor.model.words import Endpoint, TLSMode

_QQ_SETUP = github("xosg/jinhengyu", "4ad747a73dc040b4a71ffa769634041bd05fb633", "QQ_MAIL_SETUP.md")
_QQ_REFUSAL = github(
    "BotTimeDocs/product-docs",
    "7b35274abd9158cd08c85539309aeaa3b8b6aa9e",
    "articles-v2020.4/answers/troubleshooting/email.md",
)
_QQ_HELP = "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256"
_NETEASE_HOSTS = github(
    "aliyun/oss-browser", "0691d029143fa965b5f1e794bb97ae2b2240ccb5", "docs/smtpSetting.md"
)
_NETEASE_SETUP = github(
    "bty3052771076-tech/CCF-remind-workflow",
    "5a726c9e2eed41d303151a39ecf6fd2e4d11a4f4",
    "test_email.py",
)
_NETEASE_REFUSAL = github(
    "singcl/pypy", "da2b16d364f2ef09fb7db777a409cc952a332627", "python_100_days/1.14_smtp_client.py"
)

ASIA: tuple[Provider, ...] = (
    Provider(
        id="qq",
        name="QQ Mail",
        submission_host="smtp.qq.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("qq.com",),
        mx_suffixes=(),
        host_suffixes=("qq.com",),
        banner_patterns=(),
        imap_host="imap.qq.com",
        auth_note=(
            "the authorization code (授权码) generated after turning the SMTP service on, not "
            "the QQ password"
        ),
        docs_url="https://blog.zhheo.com/p/6124d6aa.html",
        region="Asia",
        credential=Credential.AUTHORIZATION_CODE,
        switches=(
            Switch(
                "the SMTP service and an authorization code (授权码)",
                "QQ Mail web settings: Settings (设置) → Account (账户) → 'POP3/IMAP/SMTP/"
                "Exchange/CardDAV/CalDAV service': turn the SMTP service on, then 'Generate "
                "authorization code' (生成授权码; confirmed by SMS)",
                _QQ_HELP,
            ),
        ),
        refusals=(
            Refusal(
                check="auth",
                code=535,
                text=r"enter your authorization code",
                example=(
                    "535 Login Fail. Please enter your authorization code to login. More "
                    f"information in {_QQ_HELP}"
                ),
                means="the password given is not an authorization code",
                distinctive=True,
            ),
        ),
        sources=(
            *cite(ispdb("qq.com.xml", "9951bf24a6c105db149009e1bb7f27b513539005"), *ALL_BASICS),
            *cite(_QQ_SETUP, Fact.CREDENTIAL, Fact.SWITCHES),
            *cite("https://blog.zhheo.com/p/6124d6aa.html", Fact.CREDENTIAL, Fact.SWITCHES),
            *cite(_QQ_REFUSAL, Fact.REFUSALS),
        ),
        notes=(
            "Custom domains whose MX is at qq.com are Tencent's business mail, which has its "
            "own host; they are not recognised as QQ Mail.",
        ),
    ),
    Provider(
        id="netease163",
        name="NetEase 163 Mail",
        submission_host="smtp.163.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("163.com",),
        mx_suffixes=(),
        host_suffixes=("163.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note=(
            "the client authorization code (客户端授权码) set after turning the SMTP service on, "
            "not the login password"
        ),
        docs_url=None,
        region="Asia",
        credential=Credential.AUTHORIZATION_CODE,
        switches=(
            Switch(
                "the SMTP service and a client authorization code (授权码)",
                "163 web mail: Settings (设置) → POP3/SMTP/IMAP: turn the IMAP/SMTP service on "
                "and create a client authorization code",
            ),
        ),
        refusals=(
            Refusal(
                check="auth",
                code=550,
                text=r"User has no permission",
                example="550 User has no permission",
                means="client authorization is off for this mailbox",
                distinctive=True,
            ),
        ),
        sources=(
            *cite(_NETEASE_HOSTS, Fact.ENDPOINTS, Fact.MAIL_DOMAINS),
            *cite(_NETEASE_SETUP, Fact.ENDPOINTS, Fact.USERNAME, Fact.CREDENTIAL, Fact.SWITCHES),
            *cite(_NETEASE_REFUSAL, Fact.REFUSALS, Fact.SWITCHES),
        ),
    ),
    Provider(
        id="naver",
        name="Naver Mail",
        submission_host="smtp.naver.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("naver.com",),
        mx_suffixes=(),
        host_suffixes=("naver.com",),
        banner_patterns=(),
        imap_host="imap.naver.com",
        auth_note="the account password (see Naver's help page for the IMAP/SMTP setting)",
        docs_url="https://help.naver.com/service/30029/contents/21342?osType=PC&lang=ko",
        region="Asia",
        sources=cite(
            ispdb("naver.com.xml", "0cd708a5ee8c3a474b367eb2b8da0a34109236b0"), *ALL_BASICS
        ),
    ),
    Provider(
        id="daum",
        name="Daum Mail (Kakao)",
        submission_host="smtp.daum.net",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("daum.net",),
        mx_suffixes=(),
        host_suffixes=("daum.net",),
        banner_patterns=(),
        imap_host="imap.daum.net",
        auth_note="the account password (see Daum's help page for the IMAP/SMTP setting)",
        docs_url="https://cs.daum.net/faq/43/9234.html#24081",
        region="Asia",
        sources=cite(
            ispdb("daum.net.xml", "0535a73273c3ae168887fdf5cce682d64412536a"), *ALL_BASICS
        ),
    ),
    Provider(
        id="ocn",
        name="OCN (NTT)",
        submission_host="smtp.ocn.ne.jp",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("ocn.ne.jp", "ocn.ad.jp"),
        mx_suffixes=(),
        host_suffixes=("ocn.ne.jp",),
        banner_patterns=(),
        imap_host=None,
        auth_note="the mail account password",
        docs_url=None,
        region="Asia",
        sources=cite(
            ispdb("ocn.ne.jp.xml", "b57df2b1f8bce05d8bc0bac660a2ea95fbc858eb"), *ALL_BASICS
        ),
    ),
    Provider(
        id="rediffmail",
        name="Rediffmail",
        submission_host="smtp.rediffmail.com",
        port=465,
        tls=TLSMode.IMPLICIT,
        username=USERNAME_ADDRESS,
        mail_domains=("rediffmail.com",),
        mx_suffixes=(),
        host_suffixes=("rediffmail.com",),
        banner_patterns=(),
        imap_host=None,
        auth_note="the account password",
        docs_url=None,
        other_endpoints=(Endpoint(586, TLSMode.IMPLICIT),),
        region="Asia",
        notes=("ISPDB also lists port 587 without TLS; smtpdoctor leaves it out.",),
        sources=cite(
            ispdb("rediffmail.com.xml", "af7643b4f11abcd283f02408c832e496d4a73f30"), *ALL_BASICS
        ),
    ),
)
