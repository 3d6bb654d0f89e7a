//! The names the `python-fleet` and `many` shapes are made of: Debian packages (as in
//! `python:3.11` on bookworm), Python distributions, npm packages, Alpine packages and
//! the word lists that name modules and files. Real names and versions, so that the
//! databases and trees read like real ones; sizes are decided by the shapes.

/// How a Debian package's files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DebKind {
    /// Programs in `usr/bin` (or `usr/sbin`), with man pages.
    Bin(&'static str),
    /// One shared library and its soname link.
    Lib,
    /// Headers under `usr/include`, a static library, the `.so` link, a `.pc` file.
    Dev,
    /// Many files of one kind (see [`TreeKind`]).
    Tree(TreeKind),
    /// A part of gcc 12 under `usr/lib/gcc/x86_64-linux-gnu/12`.
    Gcc(GccPart),
    /// Documentation only.
    Doc,
}

/// The bulk trees some packages hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeKind {
    /// `usr/share/zoneinfo/<Region>/<City>`.
    Zoneinfo,
    /// `usr/share/perl/5.36/**.pm`.
    Perl,
    /// `usr/lib/python3.11/**.py`.
    PyStdlib,
    /// `usr/share/ca-certificates/mozilla/*.crt` and their `etc/ssl/certs` links.
    Certs,
    /// `usr/include/{linux,asm-generic,x86_64-linux-gnu/asm}/*.h`.
    KernelHeaders,
    /// `usr/bin/git`, `usr/lib/git-core/git-*` (hard links), templates.
    Git,
    /// Section 3 and 7 man pages.
    ManPages,
    /// `usr/share/fonts/truetype/dejavu/*.ttf`.
    Fonts,
    /// `usr/include/c++/12/**` and `libstdc++.a`.
    Cxx,
    /// ImageMagick coders, `…/modules-Q16/coders/*.so`.
    Coders,
    /// `usr/share/terminfo/*/*`.
    Terminfo,
    /// glibc: `libc.so.6`, the loader, `libm`, and `gconv/*.so`.
    Libc,
    /// Data files under `usr/share/<package>/`.
    Data,
    /// `usr/lib/python3/dist-packages/<name>/**.py` (Debian's own Python packages).
    DistPackages,
}

/// The parts of gcc 12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GccPart {
    /// `cc1` (cpp-12).
    Cc1,
    /// `cc1plus` (g++-12).
    Cc1plus,
    /// `lto1`, `collect2`, plugin headers (gcc-12).
    Driver,
    /// `libgcc.a`, `crt*.o`, sanitizer archives (libgcc-12-dev).
    Libgcc,
}

/// One Debian package.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deb {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) section: &'static str,
    /// Share of its layer's bytes, relative to the other packages of the layer.
    pub(crate) weight: f64,
    pub(crate) kind: DebKind,
    /// Whether dpkg lists its files under `/bin` and `/lib` (merged-`/usr` stores them
    /// under `usr/`).
    pub(crate) legacy_root: bool,
    /// Whether it ships translations (`usr/share/locale/*/LC_MESSAGES/*.mo`).
    pub(crate) locales: bool,
}

const fn d(
    name: &'static str,
    version: &'static str,
    section: &'static str,
    weight: f64,
    kind: DebKind,
) -> Deb {
    Deb {
        name,
        version,
        section,
        weight,
        kind,
        legacy_root: false,
        locales: false,
    }
}

const fn root(mut deb: Deb) -> Deb {
    deb.legacy_root = true;
    deb
}

const fn loc(mut deb: Deb) -> Deb {
    deb.locales = true;
    deb
}

use DebKind::*;
use GccPart::*;
use TreeKind::*;

/// `debian:bookworm`: the packages of the Debian layer.
#[rustfmt::skip]
pub(crate) const DEBIAN: &[Deb] = &[
    loc(d("adduser", "3.134", "admin", 0.4, Bin("adduser,deluser,addgroup,delgroup"))),
    loc(d("apt", "2.6.1", "admin", 4.0, Bin("apt,apt-get,apt-cache,apt-config,apt-mark,apt-cdrom"))),
    d("base-files", "12.4+deb12u6", "admin", 0.3, Tree(Data)),
    loc(d("base-passwd", "3.6.1", "admin", 0.2, Bin("update-passwd"))),
    root(loc(d("bash", "5.2.15-2+b7", "shells", 5.0, Bin("bash,bashbug,clear_console")))),
    root(d("bsdutils", "1:2.38.1-5+deb12u1", "utils", 0.3, Bin("logger,renice,script,scriptlive,scriptreplay,wall"))),
    root(loc(d("coreutils", "9.1-1", "utils", 9.0, Bin("ls,cat,cp,mv,rm,mkdir,chmod,chown,date,dd,df,du,echo,ln,pwd,sleep,sort,tail,head,touch,uname,wc,env,id,install,readlink,seq,stat,tee,tr,uniq,basename,dirname,cut,expr,md5sum,sha256sum,mktemp,nproc,printf,realpath,test,timeout,whoami,yes")))),
    root(d("dash", "0.5.12-2", "shells", 0.4, Bin("dash"))),
    loc(d("debconf", "1.5.82", "admin", 0.8, Tree(Perl))),
    d("debian-archive-keyring", "2023.3+deb12u1", "misc", 0.3, Tree(Data)),
    root(d("debianutils", "5.7-0.5~deb12u1", "utils", 0.2, Bin("run-parts,tempfile,which,ischroot,savelog,add-shell"))),
    loc(d("diffutils", "1:3.8-4", "utils", 1.5, Bin("diff,cmp,diff3,sdiff"))),
    loc(d("dpkg", "1.21.22", "admin", 6.0, Bin("dpkg,dpkg-deb,dpkg-query,dpkg-split,dpkg-divert,dpkg-statoverride,dpkg-trigger,dpkg-realpath,update-alternatives"))),
    loc(d("e2fsprogs", "1.47.0-2", "admin", 1.5, Bin("e2fsck,mke2fs,tune2fs,debugfs,dumpe2fs,resize2fs,e2label"))),
    loc(d("findutils", "4.9.0-4", "utils", 1.5, Bin("find,xargs"))),
    d("gcc-12-base", "12.2.0-14", "libs", 0.05, Doc),
    d("gpgv", "2.2.40-1.1", "utils", 0.5, Bin("gpgv")),
    root(loc(d("grep", "3.8-5", "utils", 1.0, Bin("grep,egrep,fgrep")))),
    root(d("gzip", "1.12-1", "utils", 0.4, Bin("gzip,gunzip,zcat,zgrep,zless,zmore,znew"))),
    root(d("hostname", "3.23+nmu1", "admin", 0.05, Bin("hostname,dnsdomainname,domainname"))),
    d("init-system-helpers", "1.65.2", "admin", 0.2, Bin("deb-systemd-helper,deb-systemd-invoke,invoke-rc.d,service,update-rc.d")),
    d("libacl1", "2.3.1-3", "libs", 0.2, Lib),
    d("libapt-pkg6.0", "2.6.1", "libs", 2.5, Lib),
    d("libattr1", "1:2.5.1-4", "libs", 0.1, Lib),
    d("libaudit-common", "1:3.0.9-1", "libs", 0.02, Doc),
    d("libaudit1", "1:3.0.9-1", "libs", 0.2, Lib),
    root(d("libblkid1", "2.38.1-5+deb12u1", "libs", 0.4, Lib)),
    d("libbz2-1.0", "1.0.8-5+b1", "libs", 0.1, Lib),
    loc(d("libc-bin", "2.36-9+deb12u7", "libs", 1.5, Bin("ldd,locale,localedef,getconf,getent,iconv,ldconfig,zdump"))),
    root(d("libc6", "2.36-9+deb12u7", "libs", 14.0, Tree(Libc))),
    d("libcap-ng0", "0.8.3-1+b3", "libs", 0.05, Lib),
    d("libcap2", "1:2.66-4", "libs", 0.05, Lib),
    d("libcom-err2", "1.47.0-2", "libs", 0.05, Lib),
    d("libcrypt1", "1:4.4.33-2", "libs", 0.3, Lib),
    d("libdb5.3", "5.3.28+dfsg2-1", "libs", 1.8, Lib),
    d("libdebconfclient0", "0.270", "libs", 0.02, Lib),
    d("libext2fs2", "1.47.0-2", "libs", 0.6, Lib),
    d("libffi8", "3.4.4-1", "libs", 0.08, Lib),
    root(d("libgcc-s1", "12.2.0-14", "libs", 0.3, Lib)),
    d("libgcrypt20", "1.10.1-3", "libs", 1.4, Lib),
    d("libgmp10", "2:6.2.1+dfsg1-1.1", "libs", 0.9, Lib),
    d("libgnutls30", "3.7.9-2+deb12u3", "libs", 2.2, Lib),
    loc(d("libgpg-error0", "1.46-1", "libs", 0.5, Lib)),
    d("libhogweed6", "3.8.1-2", "libs", 0.3, Lib),
    d("libidn2-0", "2.3.3-1+b1", "libs", 0.3, Lib),
    d("liblz4-1", "1.9.4-1", "libs", 0.2, Lib),
    d("liblzma5", "5.4.1-0.2", "libs", 0.3, Lib),
    d("libmd0", "1.0.4-2", "libs", 0.1, Lib),
    root(d("libmount1", "2.38.1-5+deb12u1", "libs", 0.5, Lib)),
    d("libnettle8", "3.8.1-2", "libs", 0.4, Lib),
    d("libp11-kit0", "0.24.1-2", "libs", 1.6, Lib),
    d("libpam-modules", "1.5.2-6+deb12u1", "admin", 1.0, Tree(Data)),
    d("libpam-modules-bin", "1.5.2-6+deb12u1", "admin", 0.3, Bin("mkhomedir_helper,pam_namespace_helper,pam_timestamp_check,unix_chkpwd")),
    d("libpam-runtime", "1.5.2-6+deb12u1", "admin", 0.3, Tree(Data)),
    d("libpam0g", "1.5.2-6+deb12u1", "libs", 0.2, Lib),
    d("libpcre2-8-0", "10.42-1", "libs", 0.6, Lib),
    d("libseccomp2", "2.5.4-1+b3", "libs", 0.15, Lib),
    root(d("libselinux1", "3.4-1+b6", "libs", 0.2, Lib)),
    d("libsemanage-common", "3.4-1", "libs", 0.02, Doc),
    d("libsemanage2", "3.4-1+b5", "libs", 0.3, Lib),
    d("libsepol2", "3.4-2.1", "libs", 0.7, Lib),
    d("libsmartcols1", "2.38.1-5+deb12u1", "libs", 0.3, Lib),
    d("libss2", "1.47.0-2", "libs", 0.05, Lib),
    d("libstdc++6", "12.2.0-14", "libs", 2.3, Lib),
    d("libsystemd0", "252.26-1~deb12u2", "libs", 0.9, Lib),
    d("libtasn1-6", "4.19.0-2", "libs", 0.15, Lib),
    root(d("libtinfo6", "6.4-4", "libs", 0.2, Lib)),
    d("libudev1", "252.26-1~deb12u2", "libs", 0.2, Lib),
    d("libunistring2", "1.0-2", "libs", 1.7, Lib),
    d("libuuid1", "2.38.1-5+deb12u1", "libs", 0.05, Lib),
    d("libxxhash0", "0.8.1-1", "libs", 0.1, Lib),
    d("libzstd1", "1.5.4+dfsg2-5", "libs", 0.8, Lib),
    root(loc(d("login", "1:4.13+dfsg1-1+b1", "admin", 1.0, Bin("login,nologin,newgrp,faillog,lastlog")))),
    d("logsave", "1.47.0-2", "admin", 0.03, Bin("logsave")),
    d("mawk", "1.3.4.20200120-3.1", "interpreters", 0.3, Bin("mawk")),
    root(d("mount", "2.38.1-5+deb12u1", "admin", 0.5, Bin("mount,umount,losetup,swapon,swapoff"))),
    d("ncurses-base", "6.4-4", "misc", 0.6, Tree(Terminfo)),
    d("ncurses-bin", "6.4-4", "utils", 0.6, Bin("clear,infocmp,tabs,tic,toe,tput,tset")),
    loc(d("passwd", "1:4.13+dfsg1-1+b1", "admin", 1.4, Bin("passwd,chage,chfn,chsh,gpasswd,useradd,userdel,usermod,groupadd,groupdel,newusers,chpasswd"))),
    d("perl-base", "5.36.0-7+deb12u1", "perl", 7.5, Tree(Perl)),
    root(loc(d("sed", "4.9-1", "utils", 0.6, Bin("sed")))),
    root(d("sysvinit-utils", "3.06-4", "admin", 0.1, Bin("pidof,killall5,fstab-decode"))),
    root(loc(d("tar", "1.34+dfsg-1.2+deb12u1", "utils", 1.5, Bin("tar,rmt-tar,tarcat")))),
    d("tzdata", "2024a-0+deb12u1", "localization", 2.5, Tree(Zoneinfo)),
    d("usr-is-merged", "37~deb12u1", "oldlibs", 0.02, Doc),
    loc(d("util-linux", "2.38.1-5+deb12u1", "utils", 4.0, Bin("dmesg,findmnt,lsblk,more,mountpoint,su,wdctl,chrt,fallocate,flock,getopt,ionice,ipcs,lscpu,nsenter,prlimit,rename.ul,setsid,taskset,unshare,fdisk,mkswap,blkid,fsck,hwclock,pivot_root,switch_root,wipefs"))),
    d("util-linux-extra", "2.38.1-5+deb12u1", "utils", 0.3, Bin("blkzone,blockdev,ctrlaltdel,fsck.cramfs,isosize,ldattach,mkfs.bfs")),
    root(d("zlib1g", "1:1.2.13.dfsg-1", "libs", 0.25, Lib)),
];

/// `buildpack-deps:bookworm` (curl, scm and the build tool chain) on top of Debian.
#[rustfmt::skip]
pub(crate) const BUILD_DEPS: &[Deb] = &[
    d("autoconf", "2.71-3", "devel", 1.0, Tree(Data)),
    d("automake", "1:1.16.5-1.3", "devel", 1.1, Tree(Data)),
    d("autotools-dev", "20220109.1", "devel", 0.1, Tree(Data)),
    loc(d("binutils", "2.40-2", "devel", 0.3, Bin("ld,as,ar,nm,objdump,objcopy,ranlib,readelf,size,strings,strip,addr2line,c++filt,gprof"))),
    d("binutils-common", "2.40-2", "devel", 0.4, Tree(Data)),
    d("binutils-x86-64-linux-gnu", "2.40-2", "devel", 9.0, Bin("x86_64-linux-gnu-ld.bfd,x86_64-linux-gnu-ld.gold,x86_64-linux-gnu-as,x86_64-linux-gnu-objdump,x86_64-linux-gnu-readelf,x86_64-linux-gnu-gprofng")),
    d("bzip2", "1.0.8-5+b1", "utils", 0.1, Bin("bzip2,bunzip2,bzcat,bzdiff,bzgrep")),
    d("ca-certificates", "20230311", "misc", 0.8, Tree(Certs)),
    d("comerr-dev", "2.1-1.47.0-2", "libdevel", 0.1, Dev),
    d("cpp", "4:12.2.0-3", "interpreters", 0.02, Doc),
    loc(d("cpp-12", "12.2.0-14", "interpreters", 30.0, Gcc(Cc1))),
    loc(d("curl", "7.88.1-10+deb12u6", "web", 0.5, Bin("curl"))),
    d("default-libmysqlclient-dev", "1.1.0", "libdevel", 0.02, Doc),
    loc(d("dirmngr", "2.2.40-1.1", "utils", 0.9, Bin("dirmngr,dirmngr-client"))),
    d("dpkg-dev", "1.21.22", "utils", 1.8, Tree(Perl)),
    d("file", "1:5.44-3", "utils", 0.1, Bin("file")),
    d("fontconfig-config", "2.14.1-4", "fonts", 0.2, Tree(Data)),
    d("fonts-dejavu-core", "2.37-6", "fonts", 3.0, Tree(Fonts)),
    d("g++", "4:12.2.0-3", "devel", 0.02, Doc),
    loc(d("g++-12", "12.2.0-14", "devel", 33.0, Gcc(Cc1plus))),
    d("gcc", "4:12.2.0-3", "devel", 0.02, Doc),
    loc(d("gcc-12", "12.2.0-14", "devel", 40.0, Gcc(Driver))),
    loc(d("git", "1:2.39.2-1.1", "vcs", 20.0, Tree(Git))),
    d("git-man", "1:2.39.2-1.1", "doc", 2.5, Tree(ManPages)),
    loc(d("gnupg", "2.2.40-1.1", "utils", 0.2, Bin("gpg-zip,gpgsplit,migrate-pubring-from-classic-gpg"))),
    loc(d("gpg", "2.2.40-1.1", "utils", 1.6, Bin("gpg"))),
    loc(d("gpg-agent", "2.2.40-1.1", "utils", 0.8, Bin("gpg-agent,gpg-connect-agent,gpg-preset-passphrase"))),
    d("icu-devtools", "72.1-3", "libdevel", 0.4, Bin("derb,genbrk,gencfu,gencnval,gendict,genrb,icuinfo,makeconv,pkgdata,uconv")),
    d("imagemagick", "8:6.9.11.60+dfsg-1.6+deb12u1", "graphics", 0.1, Doc),
    d("imagemagick-6-common", "8:6.9.11.60+dfsg-1.6+deb12u1", "graphics", 0.6, Tree(Data)),
    d("imagemagick-6.q16", "8:6.9.11.60+dfsg-1.6+deb12u1", "graphics", 0.4, Bin("animate-im6.q16,compare-im6.q16,composite-im6.q16,conjure-im6.q16,convert-im6.q16,display-im6.q16,identify-im6.q16,import-im6.q16,mogrify-im6.q16,montage-im6.q16,stream-im6.q16")),
    d("krb5-multidev", "1.20.1-2+deb12u2", "libdevel", 0.4, Dev),
    d("libaom3", "3.6.0-1+deb12u1", "libs", 4.0, Lib),
    d("libapr1", "1.7.2-3", "libs", 0.3, Lib),
    d("libaprutil1", "1.6.3-1", "libs", 0.3, Lib),
    d("libasan8", "12.2.0-14", "libs", 5.0, Lib),
    d("libassuan0", "2.5.5-5", "libs", 0.2, Lib),
    d("libatomic1", "12.2.0-14", "libs", 0.05, Lib),
    d("libbinutils", "2.40-2", "devel", 2.8, Lib),
    d("libbrotli-dev", "1.0.9-2+b6", "libdevel", 0.9, Dev),
    d("libbrotli1", "1.0.9-2+b6", "libs", 0.8, Lib),
    d("libbsd0", "0.11.7-2", "libs", 0.2, Lib),
    d("libbz2-dev", "1.0.8-5+b1", "libdevel", 0.1, Dev),
    d("libc-dev-bin", "2.36-9+deb12u7", "libdevel", 0.1, Bin("gencat,mtrace,sotruss,sprof")),
    d("libc6-dev", "2.36-9+deb12u7", "libdevel", 14.0, Dev),
    d("libcairo2", "1.16.0-7", "libs", 1.4, Lib),
    d("libcairo2-dev", "1.16.0-7", "libdevel", 3.0, Dev),
    d("libcbor0.8", "0.8.0-2+b1", "libs", 0.1, Lib),
    d("libcc1-0", "12.2.0-14", "libs", 0.15, Lib),
    d("libcrypt-dev", "1:4.4.33-2", "libdevel", 0.4, Dev),
    d("libctf-nobfd0", "2.40-2", "libs", 0.2, Lib),
    d("libctf0", "2.40-2", "libs", 0.2, Lib),
    d("libcurl3-gnutls", "7.88.1-10+deb12u6", "libs", 0.7, Lib),
    d("libcurl4", "7.88.1-10+deb12u6", "libs", 0.7, Lib),
    d("libcurl4-openssl-dev", "7.88.1-10+deb12u6", "libdevel", 1.2, Dev),
    d("libdatrie1", "0.2.13-2+b1", "libs", 0.05, Lib),
    d("libdav1d6", "1.0.0-2+deb12u1", "libs", 1.7, Lib),
    d("libdb-dev", "5.3.2", "libdevel", 0.02, Doc),
    d("libdb5.3-dev", "5.3.28+dfsg2-1", "libdevel", 3.5, Dev),
    d("libde265-0", "1.0.11-1+deb12u2", "libs", 0.7, Lib),
    d("libdeflate-dev", "1.14-1", "libdevel", 0.2, Dev),
    d("libdeflate0", "1.14-1", "libs", 0.1, Lib),
    d("libdjvulibre-dev", "3.5.28-2+b1", "libdevel", 0.4, Dev),
    d("libdjvulibre-text", "3.5.28-2", "libs", 0.2, Tree(Data)),
    d("libdjvulibre21", "3.5.28-2+b1", "libs", 2.0, Lib),
    d("libedit2", "3.1-20221030-2", "libs", 0.3, Lib),
    d("libevent-2.1-7", "2.1.12-stable-8", "libs", 0.5, Lib),
    d("libevent-dev", "2.1.12-stable-8", "libdevel", 1.5, Dev),
    d("liberror-perl", "0.17029-2", "perl", 0.1, Tree(Perl)),
    d("libexpat1", "2.5.0-1+deb12u1", "libs", 0.3, Lib),
    d("libexpat1-dev", "2.5.0-1+deb12u1", "libdevel", 0.8, Dev),
    d("libffi-dev", "3.4.4-1", "libdevel", 0.2, Dev),
    d("libfftw3-double3", "3.3.10-1", "libs", 3.0, Lib),
    d("libfido2-1", "1.12.0-2+b1", "libs", 0.4, Lib),
    d("libfontconfig-dev", "2.14.1-4", "libdevel", 1.2, Dev),
    d("libfontconfig1", "2.14.1-4", "libs", 0.6, Lib),
    d("libfreetype-dev", "2.12.1+dfsg-5+deb12u3", "libdevel", 3.0, Dev),
    d("libfreetype6", "2.12.1+dfsg-5+deb12u3", "libs", 1.6, Lib),
    d("libfribidi0", "1.0.8-2.1", "libs", 0.3, Lib),
    d("libgcc-12-dev", "12.2.0-14", "libdevel", 14.0, Gcc(Libgcc)),
    d("libgdbm-compat4", "1.23-3", "libs", 0.05, Lib),
    d("libgdbm-dev", "1.23-3", "libdevel", 0.2, Dev),
    d("libgdbm6", "1.23-3", "libs", 0.2, Lib),
    d("libgdk-pixbuf-2.0-0", "2.42.10+dfsg-1+deb12u1", "libs", 0.6, Lib),
    d("libglib2.0-0", "2.74.6-2+deb12u3", "libs", 4.5, Lib),
    d("libglib2.0-bin", "2.74.6-2+deb12u3", "misc", 0.4, Bin("gapplication,gdbus,gio,gio-querymodules,glib-compile-schemas,gresource,gsettings")),
    d("libglib2.0-data", "2.74.6-2+deb12u3", "libs", 2.0, Tree(Data)),
    d("libglib2.0-dev", "2.74.6-2+deb12u3", "libdevel", 5.0, Dev),
    d("libgmp-dev", "2:6.2.1+dfsg1-1.1", "libdevel", 2.2, Dev),
    d("libgmpxx4ldbl", "2:6.2.1+dfsg1-1.1", "libs", 0.1, Lib),
    d("libgomp1", "12.2.0-14", "libs", 0.35, Lib),
    d("libgprofng0", "2.40-2", "libs", 2.4, Lib),
    d("libgraphite2-3", "1.3.14-1", "libs", 0.2, Lib),
    d("libgssrpc4", "1.20.1-2+deb12u2", "libs", 0.15, Lib),
    d("libharfbuzz0b", "6.0.0+dfsg-3", "libs", 1.9, Lib),
    d("libheif1", "1.15.1-1+deb12u1", "libs", 0.7, Lib),
    d("libhwasan0", "12.2.0-14", "libs", 2.4, Lib),
    d("libice-dev", "2:1.0.10-1", "libdevel", 0.3, Dev),
    d("libice6", "2:1.0.10-1", "libs", 0.2, Lib),
    d("libicu-dev", "72.1-3", "libdevel", 22.0, Dev),
    d("libicu72", "72.1-3", "libs", 36.0, Lib),
    d("libimath-3-1-29", "3.1.6-1", "libs", 0.2, Lib),
    d("libimath-dev", "3.1.6-1", "libdevel", 0.4, Dev),
    d("libisl23", "0.25-1.1", "libs", 3.5, Lib),
    d("libitm1", "12.2.0-14", "libs", 0.1, Lib),
    d("libjansson4", "2.14-2", "libs", 0.1, Lib),
    d("libjbig-dev", "2.1-6.1", "libdevel", 0.1, Dev),
    d("libjbig0", "2.1-6.1", "libs", 0.1, Lib),
    d("libjpeg-dev", "1:2.1.5-2", "libdevel", 0.02, Doc),
    d("libjpeg62-turbo", "1:2.1.5-2", "libs", 0.6, Lib),
    d("libjpeg62-turbo-dev", "1:2.1.5-2", "libdevel", 1.0, Dev),
    d("libk5crypto3", "1.20.1-2+deb12u2", "libs", 0.3, Lib),
    d("libkadm5clnt-mit12", "1.20.1-2+deb12u2", "libs", 0.2, Lib),
    d("libkadm5srv-mit12", "1.20.1-2+deb12u2", "libs", 0.2, Lib),
    d("libkdb5-10", "1.20.1-2+deb12u2", "libs", 0.15, Lib),
    d("libkeyutils1", "1.6.3-2", "libs", 0.05, Lib),
    d("libkrb5-3", "1.20.1-2+deb12u2", "libs", 1.2, Lib),
    d("libkrb5-dev", "1.20.1-2+deb12u2", "libdevel", 0.02, Doc),
    d("libkrb5support0", "1.20.1-2+deb12u2", "libs", 0.15, Lib),
    d("libksba8", "1.6.3-2", "libs", 0.3, Lib),
    d("liblcms2-2", "2.14-2", "libs", 0.5, Lib),
    d("liblcms2-dev", "2.14-2", "libdevel", 0.6, Dev),
    d("libldap-2.5-0", "2.5.13+dfsg-5", "libs", 0.6, Lib),
    d("liblerc4", "4.0.0+ds-2", "libs", 0.6, Lib),
    d("liblqr-1-0", "0.4.2-2.1", "libs", 0.1, Lib),
    d("liblsan0", "12.2.0-14", "libs", 2.3, Lib),
    d("libltdl-dev", "2.4.7-7~deb12u1", "libdevel", 0.3, Dev),
    d("libltdl7", "2.4.7-7~deb12u1", "libs", 0.1, Lib),
    d("liblzma-dev", "5.4.1-0.2", "libdevel", 0.6, Dev),
    d("libmagickcore-6-arch-config", "8:6.9.11.60+dfsg-1.6+deb12u1", "libdevel", 0.05, Tree(Data)),
    d("libmagickcore-6-headers", "8:6.9.11.60+dfsg-1.6+deb12u1", "libdevel", 0.6, Dev),
    d("libmagickcore-6.q16-6", "8:6.9.11.60+dfsg-1.6+deb12u1", "libs", 4.5, Lib),
    d("libmagickcore-6.q16-6-extra", "8:6.9.11.60+dfsg-1.6+deb12u1", "libs", 3.0, Tree(Coders)),
    d("libmagickcore-6.q16-dev", "8:6.9.11.60+dfsg-1.6+deb12u1", "libdevel", 7.0, Dev),
    d("libmagickwand-6.q16-6", "8:6.9.11.60+dfsg-1.6+deb12u1", "libs", 1.3, Lib),
    d("libmagickwand-6.q16-dev", "8:6.9.11.60+dfsg-1.6+deb12u1", "libdevel", 1.8, Dev),
    d("libmariadb-dev", "1:10.11.6-0+deb12u1", "libdevel", 2.0, Dev),
    d("libmariadb-dev-compat", "1:10.11.6-0+deb12u1", "libdevel", 0.05, Doc),
    d("libmariadb3", "1:10.11.6-0+deb12u1", "libs", 0.9, Lib),
    d("libmaxminddb-dev", "1.7.1-1", "libdevel", 0.1, Dev),
    d("libmaxminddb0", "1.7.1-1", "libs", 0.05, Lib),
    d("libmpc3", "1.3.1-1", "libs", 0.3, Lib),
    d("libmpfr6", "4.2.0-1", "libs", 1.3, Lib),
    d("libncurses-dev", "6.4-4", "libdevel", 3.0, Dev),
    d("libncurses5-dev", "6.4-4", "oldlibs", 0.02, Doc),
    d("libncurses6", "6.4-4", "libs", 0.3, Lib),
    d("libncursesw5-dev", "6.4-4", "oldlibs", 0.02, Doc),
    d("libncursesw6", "6.4-4", "libs", 0.4, Lib),
    d("libnghttp2-14", "1.52.0-1+deb12u1", "libs", 0.2, Lib),
    d("libnpth0", "1.6-3", "libs", 0.05, Lib),
    d("libnsl-dev", "1.3.0-2", "libdevel", 0.2, Dev),
    d("libnsl2", "1.3.0-2", "libs", 0.1, Lib),
    d("libopenexr-3-1-30", "3.1.5-5", "libs", 4.5, Lib),
    d("libopenexr-dev", "3.1.5-5", "libdevel", 2.0, Dev),
    d("libopenjp2-7", "2.5.0-2", "libs", 0.5, Lib),
    d("libopenjp2-7-dev", "2.5.0-2", "libdevel", 0.5, Dev),
    d("libpango-1.0-0", "1.50.12+ds-1", "libs", 0.6, Lib),
    d("libpangocairo-1.0-0", "1.50.12+ds-1", "libs", 0.1, Lib),
    d("libpangoft2-1.0-0", "1.50.12+ds-1", "libs", 0.1, Lib),
    d("libpcre2-16-0", "10.42-1", "libs", 0.6, Lib),
    d("libpcre2-32-0", "10.42-1", "libs", 0.6, Lib),
    d("libpcre2-dev", "10.42-1", "libdevel", 2.5, Dev),
    d("libpcre2-posix3", "10.42-1", "libs", 0.05, Lib),
    d("libperl5.36", "5.36.0-7+deb12u1", "libs", 22.0, Lib),
    d("libpixman-1-0", "0.42.2-1", "libs", 0.7, Lib),
    d("libpixman-1-dev", "0.42.2-1", "libdevel", 1.0, Dev),
    d("libpkgconf3", "1.8.1-1", "libs", 0.1, Lib),
    d("libpng-dev", "1.6.39-2", "libdevel", 0.7, Dev),
    d("libpng16-16", "1.6.39-2", "libs", 0.3, Lib),
    d("libpq-dev", "15.7-0+deb12u1", "libdevel", 1.0, Dev),
    d("libpq5", "15.7-0+deb12u1", "libs", 0.9, Lib),
    d("libproc2-0", "2:4.0.2-3", "libs", 0.2, Lib),
    d("libpsl5", "0.21.2-1", "libs", 0.1, Lib),
    d("libpython3-stdlib", "3.11.2-1+b1", "python", 0.02, Doc),
    d("libpython3.11-minimal", "3.11.2-6+deb12u2", "python", 5.0, Tree(PyStdlib)),
    d("libpython3.11-stdlib", "3.11.2-6+deb12u2", "python", 18.0, Tree(PyStdlib)),
    d("libquadmath0", "12.2.0-14", "libs", 0.3, Lib),
    d("libreadline-dev", "8.2-1.3", "libdevel", 0.5, Dev),
    d("libreadline8", "8.2-1.3", "libs", 0.3, Lib),
    d("librsvg2-2", "2.54.7+dfsg-1~deb12u1", "libs", 8.0, Lib),
    d("librsvg2-dev", "2.54.7+dfsg-1~deb12u1", "libdevel", 0.3, Dev),
    d("librtmp1", "2.4+20151223.gitfa8646d.1-2+b2", "libs", 0.15, Lib),
    d("libsasl2-2", "2.1.28+dfsg-10", "libs", 0.1, Lib),
    d("libsasl2-modules-db", "2.1.28+dfsg-10", "libs", 0.05, Lib),
    d("libselinux1-dev", "3.4-1+b6", "libdevel", 0.6, Dev),
    d("libsepol-dev", "3.4-2.1", "libdevel", 1.6, Dev),
    d("libserf-1-1", "1.3.9-11", "libs", 0.15, Lib),
    d("libsharpyuv-dev", "1.2.4-0.2+deb12u1", "libdevel", 0.05, Dev),
    d("libsharpyuv0", "1.2.4-0.2+deb12u1", "libs", 0.05, Lib),
    d("libsm-dev", "2:1.2.3-1", "libdevel", 0.1, Dev),
    d("libsm6", "2:1.2.3-1", "libs", 0.05, Lib),
    d("libsqlite3-0", "3.40.1-2+deb12u1", "libs", 1.6, Lib),
    d("libsqlite3-dev", "3.40.1-2+deb12u1", "libdevel", 3.5, Dev),
    d("libssh2-1", "1.10.0-3+b1", "libs", 0.3, Lib),
    d("libssl-dev", "3.0.13-1~deb12u1", "libdevel", 12.0, Dev),
    d("libssl3", "3.0.13-1~deb12u1", "libs", 6.0, Lib),
    d("libstdc++-12-dev", "12.2.0-14", "libdevel", 20.0, Tree(Cxx)),
    d("libsvn1", "1.14.2-4+deb12u1", "libs", 4.5, Lib),
    d("libsystemd-dev", "252.26-1~deb12u2", "libdevel", 3.0, Dev),
    d("libthai-data", "0.1.29-1", "libs", 0.6, Tree(Data)),
    d("libthai0", "0.1.29-1", "libs", 0.1, Lib),
    d("libtiff-dev", "4.5.0-6+deb12u1", "libdevel", 1.4, Dev),
    d("libtiff6", "4.5.0-6+deb12u1", "libs", 0.6, Lib),
    d("libtiffxx6", "4.5.0-6+deb12u1", "libs", 0.05, Lib),
    d("libtirpc-dev", "1.3.3+ds-1", "libdevel", 0.6, Dev),
    d("libtirpc3", "1.3.3+ds-1", "libs", 0.2, Lib),
    d("libtool", "2.4.7-7~deb12u1", "devel", 1.2, Tree(Data)),
    d("libtsan2", "12.2.0-14", "libs", 6.0, Lib),
    d("libubsan1", "12.2.0-14", "libs", 2.0, Lib),
    d("libudev-dev", "252.26-1~deb12u2", "libdevel", 0.2, Dev),
    d("libutf8proc2", "2.8.0-1", "libs", 0.3, Lib),
    d("libwebp-dev", "1.2.4-0.2+deb12u1", "libdevel", 0.9, Dev),
    d("libwebp7", "1.2.4-0.2+deb12u1", "libs", 0.5, Lib),
    d("libwebpdemux2", "1.2.4-0.2+deb12u1", "libs", 0.05, Lib),
    d("libwebpmux3", "1.2.4-0.2+deb12u1", "libs", 0.05, Lib),
    d("libwmf-0.2-7", "0.2.12-5", "libs", 0.2, Lib),
    d("libwmf-dev", "0.2.12-5", "libdevel", 0.3, Dev),
    d("libx11-6", "2:1.8.4-2+deb12u2", "libs", 1.4, Lib),
    d("libx11-data", "2:1.8.4-2+deb12u2", "x11", 1.4, Tree(Data)),
    d("libx11-dev", "2:1.8.4-2+deb12u2", "libdevel", 2.4, Dev),
    d("libxau-dev", "1:1.0.9-1", "libdevel", 0.05, Dev),
    d("libxau6", "1:1.0.9-1", "libs", 0.03, Lib),
    d("libxcb-render0", "1.15-1", "libs", 0.1, Lib),
    d("libxcb-shm0", "1.15-1", "libs", 0.03, Lib),
    d("libxcb1", "1.15-1", "libs", 0.2, Lib),
    d("libxcb1-dev", "1.15-1", "libdevel", 0.5, Dev),
    d("libxdmcp-dev", "1:1.1.2-3", "libdevel", 0.05, Dev),
    d("libxdmcp6", "1:1.1.2-3", "libs", 0.03, Lib),
    d("libxext-dev", "2:1.3.4-1+b1", "libdevel", 0.3, Dev),
    d("libxext6", "2:1.3.4-1+b1", "libs", 0.1, Lib),
    d("libxml2", "2.9.14+dfsg-1.3~deb12u1", "libs", 2.0, Lib),
    d("libxml2-dev", "2.9.14+dfsg-1.3~deb12u1", "libdevel", 3.0, Dev),
    d("libxmuu1", "2:1.1.3-3", "libs", 0.03, Lib),
    d("libxrender-dev", "1:0.9.10-1.1", "libdevel", 0.05, Dev),
    d("libxrender1", "1:0.9.10-1.1", "libs", 0.05, Lib),
    d("libxslt1-dev", "1.1.35-1", "libdevel", 0.9, Dev),
    d("libxslt1.1", "1.1.35-1", "libs", 0.4, Lib),
    d("libxt-dev", "1:1.2.1-1.1", "libdevel", 0.7, Dev),
    d("libxt6", "1:1.2.1-1.1", "libs", 0.4, Lib),
    d("libyaml-0-2", "0.2.5-1", "libs", 0.1, Lib),
    d("libyaml-dev", "0.2.5-1", "libdevel", 0.3, Dev),
    d("libzstd-dev", "1.5.4+dfsg2-5", "libdevel", 1.5, Dev),
    d("linux-libc-dev", "6.1.94-1", "devel", 9.0, Tree(KernelHeaders)),
    loc(d("m4", "1.4.19-3", "interpreters", 0.4, Bin("m4"))),
    loc(d("make", "4.3-4.1", "devel", 0.6, Bin("make,make-first-existing-target"))),
    d("manpages", "6.03-2", "doc", 1.8, Tree(ManPages)),
    d("manpages-dev", "6.03-2", "doc", 3.0, Tree(ManPages)),
    d("mariadb-common", "1:10.11.6-0+deb12u1", "database", 0.02, Tree(Data)),
    d("media-types", "10.0.0", "net", 0.1, Tree(Data)),
    d("mercurial", "6.3.2-1", "vcs", 2.5, Bin("hg")),
    d("mercurial-common", "6.3.2-1", "vcs", 14.0, Tree(DistPackages)),
    d("mysql-common", "5.8+1.1.0", "database", 0.02, Tree(Data)),
    d("netbase", "6.4", "admin", 0.05, Tree(Data)),
    loc(d("openssh-client", "1:9.2p1-2+deb12u3", "net", 4.0, Bin("ssh,scp,sftp,ssh-keygen,ssh-add,ssh-agent,ssh-keyscan,ssh-argv0,ssh-copy-id"))),
    d("openssl", "3.0.13-1~deb12u1", "utils", 1.6, Bin("openssl,c_rehash")),
    loc(d("patch", "2.7.6-7", "vcs", 0.2, Bin("patch"))),
    d("perl", "5.36.0-7+deb12u1", "perl", 0.8, Bin("perl5.36.0,cpan,perlbug,perldoc,perlivp,pod2html,prove,h2ph,h2xs,xsubpp")),
    d("perl-modules-5.36", "5.36.0-7+deb12u1", "perl", 18.0, Tree(Perl)),
    d("pinentry-curses", "1.2.1-1", "utils", 0.1, Bin("pinentry-curses")),
    d("pkg-config", "1.8.1-1", "devel", 0.02, Doc),
    d("pkgconf", "1.8.1-1", "devel", 0.05, Tree(Data)),
    d("pkgconf-bin", "1.8.1-1", "devel", 0.05, Bin("pkgconf")),
    loc(d("procps", "2:4.0.2-3", "admin", 0.8, Bin("ps,top,free,kill,pgrep,pkill,pmap,pwdx,slabtop,tload,uptime,vmstat,w,watch,sysctl"))),
    d("python3", "3.11.2-1+b1", "python", 0.1, Bin("pydoc3,pygettext3")),
    d("python3-minimal", "3.11.2-1+b1", "python", 0.05, Doc),
    d("python3.11", "3.11.2-6+deb12u2", "python", 0.5, Bin("pydoc3.11,pygettext3.11")),
    d("python3.11-minimal", "3.11.2-6+deb12u2", "python", 6.5, Bin("python3.11")),
    d("readline-common", "8.2-1.3", "utils", 0.1, Tree(Data)),
    d("rpcsvc-proto", "1.4.3-1", "utils", 0.2, Bin("rpcgen")),
    loc(d("subversion", "1.14.2-4+deb12u1", "vcs", 2.0, Bin("svn,svnadmin,svndumpfilter,svnlook,svnmucc,svnrdump,svnserve,svnsync,svnversion"))),
    d("unzip", "6.0-28", "utils", 0.4, Bin("unzip,funzip,unzipsfx,zipgrep,zipinfo")),
    loc(d("wget", "1.21.3-1+b2", "web", 1.0, Bin("wget"))),
    d("x11-common", "1:7.7+23", "x11", 0.05, Tree(Data)),
    d("x11proto-dev", "2022.1-1", "x11", 1.2, Dev),
    d("xauth", "1:1.1.2-1", "x11", 0.1, Bin("xauth")),
    d("xorg-sgml-doctools", "1:1.11-1.1", "x11", 0.05, Doc),
    d("xtrans-dev", "1.4.0-1", "x11", 0.2, Dev),
    loc(d("xz-utils", "5.4.1-0.2", "utils", 0.5, Bin("xz,unxz,xzcat,lzma,unlzma,xzdiff,xzgrep,xzless"))),
    d("zlib1g-dev", "1:1.2.13.dfsg-1", "libdevel", 0.5, Dev),
];

/// Who maintains a Debian package (by its name).
pub(crate) fn maintainer(name: &str) -> &'static str {
    const BY_PREFIX: &[(&str, &str)] = &[
        (
            "libc",
            "GNU Libc Maintainers <debian-glibc@lists.debian.org>",
        ),
        (
            "gcc",
            "Debian GCC Maintainers <debian-gcc@lists.debian.org>",
        ),
        (
            "cpp",
            "Debian GCC Maintainers <debian-gcc@lists.debian.org>",
        ),
        (
            "g++",
            "Debian GCC Maintainers <debian-gcc@lists.debian.org>",
        ),
        (
            "libstdc++",
            "Debian GCC Maintainers <debian-gcc@lists.debian.org>",
        ),
        ("perl", "Niko Tyni <ntyni@debian.org>"),
        ("python", "Matthias Klose <doko@debian.org>"),
        ("libpython", "Matthias Klose <doko@debian.org>"),
        ("apt", "APT Development Team <deity@lists.debian.org>"),
        ("dpkg", "Dpkg Developers <debian-dpkg@lists.debian.org>"),
        ("libx", "Debian X Strike Force <debian-x@lists.debian.org>"),
        ("x11", "Debian X Strike Force <debian-x@lists.debian.org>"),
        (
            "libmagick",
            "ImageMagick Packaging Team <pkg-gmagick-im-team@lists.alioth.debian.org>",
        ),
        (
            "imagemagick",
            "ImageMagick Packaging Team <pkg-gmagick-im-team@lists.alioth.debian.org>",
        ),
        (
            "util-linux",
            "util-linux packagers <util-linux@packages.debian.org>",
        ),
        (
            "libsystemd",
            "Debian systemd Maintainers <pkg-systemd-maintainers@lists.alioth.debian.org>",
        ),
        ("git", "Jonathan Nieder <jrnieder@gmail.com>"),
        (
            "libssl",
            "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
        ),
        (
            "openssl",
            "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
        ),
    ];
    const OTHERS: &[&str] = &[
        "Debian QA Group <packages@qa.debian.org>",
        "Santiago Vila <sanvila@debian.org>",
        "Michael Stone <mstone@debian.org>",
        "Debian Security Tools <team+pkg-security@tracker.debian.org>",
        "Debian Med Packaging Team <debian-med-packaging@lists.alioth.debian.org>",
        "Laszlo Boszormenyi (GCS) <gcs@debian.org>",
        "Debian Multimedia Maintainers <debian-multimedia@lists.debian.org>",
        "Debian GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>",
    ];
    BY_PREFIX
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, m)| *m)
        .unwrap_or_else(|| {
            let h = name
                .bytes()
                .fold(0usize, |h, b| h.wrapping_mul(31) + b as usize);
            OTHERS[h % OTHERS.len()]
        })
}

/// Translations shipped by packages with `locales`.
#[rustfmt::skip]
pub(crate) const LANGS: &[&str] = &[
    "de", "fr", "es", "it", "ja", "ko", "pt_BR", "ru", "zh_CN", "zh_TW", "pl", "nl", "sv",
    "cs", "da", "fi", "hu", "tr", "uk", "vi", "ca", "eu", "gl", "ro", "sk", "sl", "sr",
    "nb", "id", "el", "et", "ga", "hr", "lt", "ms", "eo", "pt", "be", "bg", "ka",
];

/// Time-zone regions and cities (tzdata, pytz, Alpine).
#[rustfmt::skip]
pub(crate) const ZONE_REGIONS: &[&str] = &[
    "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
    "Pacific", "Etc",
];

#[rustfmt::skip]
pub(crate) const ZONE_CITIES: &[&str] = &[
    "Abidjan", "Accra", "Adelaide", "Algiers", "Amsterdam", "Anchorage", "Athens",
    "Auckland", "Baghdad", "Bangkok", "Barbados", "Beirut", "Belgrade", "Berlin", "Bogota",
    "Boise", "Brisbane", "Brussels", "Bucharest", "Budapest", "Cairo", "Caracas",
    "Casablanca", "Chicago", "Copenhagen", "Darwin", "Denver", "Detroit", "Dhaka", "Dubai",
    "Dublin", "Edmonton", "Fiji", "Gibraltar", "Guam", "Halifax", "Havana", "Helsinki",
    "Hobart", "Honolulu", "Istanbul", "Jakarta", "Jerusalem", "Johannesburg", "Kabul",
    "Karachi", "Kathmandu", "Kiev", "Kolkata", "Lagos", "Lima", "Lisbon", "London",
    "Madrid", "Manila", "Melbourne", "Mexico_City", "Minsk", "Monaco", "Montevideo",
    "Moscow", "Nairobi", "New_York", "Noumea", "Oslo", "Panama", "Paris", "Perth",
    "Phoenix", "Prague", "Reykjavik", "Riga", "Rome", "Santiago", "Sao_Paulo", "Seoul",
    "Shanghai", "Singapore", "Sofia", "Stockholm", "Sydney", "Taipei", "Tallinn", "Tehran",
    "Tokyo", "Toronto", "Tunis", "Vancouver", "Vienna", "Vilnius", "Warsaw", "Winnipeg",
    "Yangon", "Zurich",
];

/// Python's standard library: top-level modules, then packages with their real
/// submodules.
#[rustfmt::skip]
pub(crate) const PY_MODULES: &[&str] = &[
    "abc", "aifc", "argparse", "ast", "base64", "bdb", "bisect", "bz2", "calendar", "cgi",
    "cmd", "code", "codecs", "codeop", "colorsys", "compileall", "configparser",
    "contextlib", "contextvars", "copy", "copyreg", "cProfile", "csv", "dataclasses",
    "datetime", "decimal", "difflib", "dis", "doctest", "enum", "filecmp", "fileinput",
    "fnmatch", "fractions", "ftplib", "functools", "genericpath", "getopt", "getpass",
    "gettext", "glob", "graphlib", "gzip", "hashlib", "heapq", "hmac", "imaplib", "inspect",
    "io", "ipaddress", "keyword", "linecache", "locale", "lzma", "mailbox", "mimetypes",
    "modulefinder", "netrc", "numbers", "opcode", "operator", "optparse", "os", "pathlib",
    "pdb", "pickle", "pickletools", "pkgutil", "platform", "plistlib", "poplib",
    "posixpath", "pprint", "profile", "pstats", "pty", "py_compile", "pyclbr", "pydoc",
    "queue", "quopri", "random", "reprlib", "rlcompleter", "runpy", "sched", "secrets",
    "selectors", "shelve", "shlex", "shutil", "signal", "site", "smtplib", "socket",
    "socketserver", "ssl", "stat", "statistics", "string", "stringprep", "struct",
    "subprocess", "symtable", "sysconfig", "tabnanny", "tarfile", "tempfile", "textwrap",
    "threading", "timeit", "token", "tokenize", "trace", "traceback", "tracemalloc", "tty",
    "types", "typing", "uuid", "warnings", "wave", "weakref", "webbrowser", "zipapp",
    "zipfile", "zipimport", "_collections_abc", "_compat_pickle", "_pydecimal", "_pyio",
    "_strptime", "_threading_local", "_weakrefset", "__future__",
];

#[rustfmt::skip]
pub(crate) const PY_PACKAGES: &[(&str, &str)] = &[
    ("asyncio", "base_events,base_futures,base_subprocess,base_tasks,constants,coroutines,events,exceptions,format_helpers,futures,locks,log,mixins,proactor_events,protocols,queues,runners,selector_events,sslproto,staggered,streams,subprocess,taskgroups,tasks,threads,timeouts,transports,trsock,unix_events"),
    ("collections", "abc"),
    ("concurrent/futures", "_base,process,thread"),
    ("ctypes", "_aix,_endian,util,wintypes"),
    ("ctypes/macholib", "dyld,dylib,framework"),
    ("email", "_encoded_words,_header_value_parser,_parseaddr,_policybase,base64mime,charset,contentmanager,encoders,errors,feedparser,generator,header,headerregistry,iterators,message,parser,policy,quoprimime,utils"),
    ("email/mime", "application,audio,base,image,message,multipart,nonmultipart,text"),
    ("encodings", "aliases,ascii,base64_codec,big5,charmap,cp037,cp1006,cp1026,cp1125,cp1140,cp1250,cp1251,cp1252,cp1253,cp1254,cp1255,cp1256,cp1257,cp1258,cp273,cp424,cp437,cp500,cp720,cp737,cp775,cp850,cp852,cp855,cp856,cp857,cp858,cp860,cp861,cp862,cp863,cp864,cp865,cp866,cp869,cp874,cp875,cp932,cp949,cp950,euc_jis_2004,euc_jisx0213,euc_jp,euc_kr,gb18030,gb2312,gbk,hex_codec,hp_roman8,hz,idna,iso2022_jp,iso2022_kr,iso8859_1,iso8859_10,iso8859_11,iso8859_13,iso8859_14,iso8859_15,iso8859_16,iso8859_2,iso8859_3,iso8859_4,iso8859_5,iso8859_6,iso8859_7,iso8859_8,iso8859_9,johab,koi8_r,koi8_t,koi8_u,kz1048,latin_1,mac_arabic,mac_croatian,mac_cyrillic,mac_farsi,mac_greek,mac_iceland,mac_latin2,mac_roman,mac_romanian,mac_turkish,palmos,ptcp154,punycode,quopri_codec,raw_unicode_escape,rot_13,shift_jis,shift_jis_2004,shift_jisx0213,tis_620,undefined,unicode_escape,utf_16,utf_16_be,utf_16_le,utf_32,utf_32_be,utf_32_le,utf_7,utf_8,utf_8_sig,uu_codec,zlib_codec"),
    ("html", "entities,parser"),
    ("http", "client,cookiejar,cookies,server"),
    ("importlib", "_abc,_bootstrap,_bootstrap_external,abc,machinery,readers,simple,util"),
    ("importlib/metadata", "_adapters,_collections,_functools,_itertools,_meta,_text"),
    ("importlib/resources", "_adapters,_common,_itertools,_legacy,abc,readers,simple"),
    ("json", "decoder,encoder,scanner,tool"),
    ("lib2to3", "btm_matcher,btm_utils,fixer_base,fixer_util,main,patcomp,pygram,pytree,refactor"),
    ("lib2to3/fixes", "fix_apply,fix_asserts,fix_basestring,fix_buffer,fix_dict,fix_except,fix_exec,fix_execfile,fix_exitfunc,fix_filter,fix_funcattrs,fix_future,fix_getcwdu,fix_has_key,fix_idioms,fix_import,fix_imports,fix_imports2,fix_input,fix_intern,fix_isinstance,fix_itertools,fix_itertools_imports,fix_long,fix_map,fix_metaclass,fix_methodattrs,fix_ne,fix_next,fix_nonzero,fix_numliterals,fix_operator,fix_paren,fix_print,fix_raise,fix_raw_input,fix_reduce,fix_reload,fix_renames,fix_repr,fix_set_literal,fix_standarderror,fix_sys_exc,fix_throw,fix_tuple_params,fix_types,fix_unicode,fix_urllib,fix_ws_comma,fix_xrange,fix_xreadlines,fix_zip"),
    ("lib2to3/pgen2", "conv,driver,grammar,literals,parse,pgen,token,tokenize"),
    ("logging", "config,handlers"),
    ("multiprocessing", "connection,context,forkserver,heap,managers,pool,popen_fork,popen_forkserver,popen_spawn_posix,popen_spawn_win32,process,queues,reduction,resource_sharer,resource_tracker,shared_memory,sharedctypes,spawn,synchronize,util"),
    ("multiprocessing/dummy", "connection"),
    ("pydoc_data", "topics"),
    ("re", "_casefix,_compiler,_constants,_parser"),
    ("sqlite3", "dbapi2,dump"),
    ("tomllib", "_parser,_re,_types"),
    ("unittest", "_log,async_case,case,loader,main,mock,result,runner,signals,suite,util"),
    ("urllib", "error,parse,request,response,robotparser"),
    ("venv", "__main__"),
    ("wsgiref", "handlers,headers,simple_server,types,util,validate"),
    ("xml/dom", "NodeFilter,domreg,expatbuilder,minicompat,minidom,pulldom,xmlbuilder"),
    ("xml/etree", "ElementInclude,ElementPath,ElementTree,cElementTree"),
    ("xml/parsers", "expat"),
    ("xml/sax", "_exceptions,expatreader,handler,saxutils,xmlreader"),
    ("xmlrpc", "client,server"),
    ("zoneinfo", "_common,_tzpath,_zoneinfo"),
    ("idlelib", "autocomplete,autocomplete_w,autoexpand,browser,calltip,calltip_w,codecontext,colorizer,config,config_key,configdialog,debugger,debugger_r,debugobj,debugobj_r,delegator,dynoption,editor,filelist,format,grep,help,help_about,history,hyperparser,idle,iomenu,macosx,mainmenu,multicall,outwin,parenmatch,pathbrowser,percolator,pyparse,pyshell,query,redirector,replace,rpc,run,runscript,scrolledlist,search,searchbase,searchengine,sidebar,squeezer,stackviewer,statusbar,textview,tooltip,tree,undo,util,window,zoomheight,zzdummy"),
    ("tkinter", "colorchooser,commondialog,constants,dialog,dnd,filedialog,font,messagebox,scrolledtext,simpledialog,tix,ttk"),
    ("ensurepip", "__main__,_uninstall"),
];

/// Extension modules of `lib-dynload`.
#[rustfmt::skip]
pub(crate) const PY_DYNLOAD: &[&str] = &[
    "_asyncio", "_bisect", "_blake2", "_bz2", "_codecs_cn", "_codecs_hk", "_codecs_iso2022",
    "_codecs_jp", "_codecs_kr", "_codecs_tw", "_contextvars", "_crypt", "_csv", "_ctypes",
    "_curses", "_curses_panel", "_datetime", "_dbm", "_decimal", "_elementtree", "_gdbm",
    "_hashlib", "_heapq", "_json", "_lsprof", "_lzma", "_md5", "_multibytecodec",
    "_multiprocessing", "_opcode", "_pickle", "_posixshmem", "_posixsubprocess", "_queue",
    "_random", "_sha1", "_sha256", "_sha3", "_sha512", "_socket", "_sqlite3", "_ssl",
    "_statistics", "_struct", "_uuid", "_zoneinfo", "array", "audioop", "binascii", "cmath",
    "fcntl", "grp", "math", "mmap", "nis", "ossaudiodev", "pyexpat", "readline", "resource",
    "select", "spwd", "syslog", "termios", "unicodedata", "xxlimited", "zlib",
];

/// Words that name modules, files and directories.
#[rustfmt::skip]
pub(crate) const WORDS: &[&str] = &[
    "adapters", "api", "app", "auth", "backends", "base", "cache", "cli", "client",
    "codecs", "compat", "config", "connection", "constants", "context", "converters",
    "core", "decorators", "defaults", "encoding", "engine", "errors", "events",
    "exceptions", "ext", "fields", "filters", "formats", "functions", "handlers", "helpers",
    "hooks", "http", "inspection", "interfaces", "internal", "io", "loaders", "locks",
    "logging", "mapper", "middleware", "mixins", "models", "monitor", "options", "parser",
    "pool", "protocol", "proxy", "query", "registry", "request", "response", "result",
    "retry", "routing", "runtime", "schema", "security", "serializers", "server", "session",
    "settings", "signals", "sql", "state", "status", "storage", "streams", "structures",
    "sync", "tasks", "templates", "testing", "threads", "timeouts", "transport", "types",
    "typing", "util", "utils", "validators", "version", "views", "worker", "wrappers",
];

/// How a Python distribution is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DistKind {
    /// Only Python modules.
    Pure,
    /// Modules and extension modules (`.so`), maybe vendored libraries.
    Binary,
    /// Modules and bulky data files (certificates, time zones, API models).
    Data,
}

/// One Python distribution on PyPI.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dist {
    pub(crate) name: &'static str,
    /// What it installs at the top of site-packages, comma-separated (`six.py` for a
    /// module, `google/protobuf` for a namespace package).
    pub(crate) top: &'static str,
    /// Versions, the most used first.
    pub(crate) versions: &'static [&'static str],
    pub(crate) weight: f64,
    pub(crate) kind: DistKind,
    /// Console scripts, comma-separated.
    pub(crate) scripts: &'static str,
}

const fn py(
    name: &'static str,
    top: &'static str,
    versions: &'static [&'static str],
    weight: f64,
    kind: DistKind,
    scripts: &'static str,
) -> Dist {
    Dist {
        name,
        top,
        versions,
        weight,
        kind,
        scripts,
    }
}

use DistKind::{Binary, Data as PyData, Pure};

/// Distributions the services install.
#[rustfmt::skip]
pub(crate) const DISTS: &[Dist] = &[
    py("requests", "requests", &["2.32.3", "2.31.0"], 1.0, Pure, ""),
    py("urllib3", "urllib3", &["2.2.2", "1.26.19"], 1.4, Pure, ""),
    py("idna", "idna", &["3.7", "3.6"], 0.9, Pure, ""),
    py("certifi", "certifi", &["2024.7.4", "2024.2.2"], 0.5, PyData, ""),
    py("charset-normalizer", "charset_normalizer", &["3.3.2"], 0.9, Binary, "normalizer"),
    py("flask", "flask", &["3.0.3", "2.3.3"], 0.8, Pure, "flask"),
    py("werkzeug", "werkzeug", &["3.0.3", "2.3.8"], 2.0, Pure, ""),
    py("jinja2", "jinja2", &["3.1.4"], 1.5, Pure, ""),
    py("markupsafe", "markupsafe", &["2.1.5"], 0.2, Binary, ""),
    py("itsdangerous", "itsdangerous", &["2.2.0"], 0.2, Pure, ""),
    py("click", "click", &["8.1.7"], 0.8, Pure, ""),
    py("blinker", "blinker", &["1.8.2"], 0.1, Pure, ""),
    py("gunicorn", "gunicorn", &["22.0.0", "21.2.0"], 1.0, Pure, "gunicorn"),
    py("django", "django", &["5.0.6", "4.2.13"], 24.0, PyData, "django-admin"),
    py("asgiref", "asgiref", &["3.8.1"], 0.3, Pure, ""),
    py("sqlparse", "sqlparse", &["0.5.0"], 0.4, Pure, "sqlformat"),
    py("psycopg2-binary", "psycopg2,psycopg2_binary.libs", &["2.9.9"], 7.0, Binary, ""),
    py("celery", "celery", &["5.4.0", "5.3.6"], 4.0, Pure, "celery"),
    py("kombu", "kombu", &["5.3.7"], 1.5, Pure, ""),
    py("billiard", "billiard", &["4.2.0"], 0.8, Pure, ""),
    py("vine", "vine", &["5.1.0"], 0.1, Pure, ""),
    py("amqp", "amqp", &["5.2.0"], 0.4, Pure, ""),
    py("redis", "redis", &["5.0.6", "4.6.0"], 1.8, Pure, ""),
    py("python-dateutil", "dateutil", &["2.9.0.post0"], 1.2, PyData, ""),
    py("six", "six.py", &["1.16.0"], 0.1, Pure, ""),
    py("pytz", "pytz", &["2024.1"], 2.0, PyData, ""),
    py("tzdata", "tzdata", &["2024.1"], 1.8, PyData, ""),
    py("fastapi", "fastapi", &["0.111.0", "0.110.3"], 1.5, Pure, "fastapi"),
    py("starlette", "starlette", &["0.37.2"], 0.8, Pure, ""),
    py("pydantic", "pydantic", &["2.7.4", "2.6.4"], 2.5, Pure, ""),
    py("pydantic-core", "pydantic_core", &["2.18.4", "2.16.3"], 9.0, Binary, ""),
    py("typing-extensions", "typing_extensions.py", &["4.12.2"], 0.2, Pure, ""),
    py("annotated-types", "annotated_types", &["0.7.0"], 0.1, Pure, ""),
    py("anyio", "anyio", &["4.4.0"], 0.8, Pure, ""),
    py("sniffio", "sniffio", &["1.3.1"], 0.05, Pure, ""),
    py("uvicorn", "uvicorn", &["0.30.1"], 0.5, Pure, "uvicorn"),
    py("h11", "h11", &["0.14.0"], 0.3, Pure, ""),
    py("httptools", "httptools", &["0.6.1"], 1.5, Binary, ""),
    py("uvloop", "uvloop", &["0.19.0"], 10.0, Binary, ""),
    py("websockets", "websockets", &["12.0"], 1.0, Binary, ""),
    py("httpx", "httpx", &["0.27.0"], 0.6, Pure, "httpx"),
    py("httpcore", "httpcore", &["1.0.5"], 0.5, Pure, ""),
    py("numpy", "numpy,numpy.libs", &["1.26.4", "2.0.0"], 60.0, Binary, "f2py"),
    py("pandas", "pandas", &["2.2.2", "2.1.4"], 70.0, Binary, ""),
    py("boto3", "boto3", &["1.34.131"], 0.8, PyData, ""),
    py("botocore", "botocore", &["1.34.131"], 85.0, PyData, ""),
    py("s3transfer", "s3transfer", &["0.10.1"], 0.5, Pure, ""),
    py("jmespath", "jmespath", &["1.0.1"], 0.2, Pure, "jp.py"),
    py("pyyaml", "yaml,_yaml", &["6.0.1"], 2.0, Binary, ""),
    py("protobuf", "google/protobuf", &["4.25.3", "5.27.1"], 3.0, Binary, ""),
    py("grpcio", "grpc", &["1.64.1"], 30.0, Binary, ""),
    py("grpcio-status", "grpc_status", &["1.64.1"], 0.1, Pure, ""),
    py("googleapis-common-protos", "google/api,google/rpc,google/type", &["1.63.1"], 1.5, Pure, ""),
    py("cryptography", "cryptography", &["42.0.8"], 12.0, Binary, ""),
    py("cffi", "cffi,_cffi_backend", &["1.16.0"], 1.5, Binary, ""),
    py("pycparser", "pycparser", &["2.22"], 0.8, Pure, ""),
    py("attrs", "attr,attrs", &["23.2.0"], 0.5, Pure, ""),
    py("packaging", "packaging", &["24.1"], 0.3, Pure, ""),
    py("sqlalchemy", "sqlalchemy", &["2.0.31", "1.4.52"], 10.0, Binary, ""),
    py("greenlet", "greenlet", &["3.0.3"], 1.5, Binary, ""),
    py("alembic", "alembic", &["1.13.1"], 1.5, Pure, "alembic"),
    py("mako", "mako", &["1.3.5"], 0.5, Pure, "mako-render"),
    py("structlog", "structlog", &["24.2.0"], 0.4, Pure, ""),
    py("sentry-sdk", "sentry_sdk", &["2.6.0", "1.45.0"], 2.5, Pure, ""),
    py("prometheus-client", "prometheus_client", &["0.20.0"], 0.4, Pure, ""),
    py("orjson", "orjson", &["3.10.5"], 0.9, Binary, ""),
    py("pillow", "PIL,pillow.libs", &["10.3.0"], 12.0, Binary, ""),
    py("wcwidth", "wcwidth", &["0.2.13"], 0.5, Pure, ""),
    py("prompt-toolkit", "prompt_toolkit", &["3.0.47"], 3.0, Pure, ""),
    py("click-didyoumean", "click_didyoumean", &["0.3.1"], 0.02, Pure, ""),
    py("click-repl", "click_repl", &["0.3.0"], 0.05, Pure, ""),
    py("click-plugins", "click_plugins", &["1.1.1"], 0.05, Pure, ""),
    py("python-dotenv", "dotenv", &["1.0.1"], 0.1, Pure, "dotenv"),
    py("watchfiles", "watchfiles", &["0.22.0"], 1.0, Binary, "watchfiles"),
    py("opentelemetry-api", "opentelemetry", &["1.25.0"], 0.5, Pure, ""),
    py("marshmallow", "marshmallow", &["3.21.3"], 0.6, Pure, ""),
    py("djangorestframework", "rest_framework", &["3.15.2"], 3.0, PyData, ""),
];

/// What a kind of service installs (dist names), before a few extras.
#[rustfmt::skip]
pub(crate) const PROFILES: &[(&str, &str)] = &[
    ("flask", "flask,werkzeug,jinja2,markupsafe,itsdangerous,click,blinker,gunicorn,requests,urllib3,idna,certifi,charset-normalizer,sqlalchemy,greenlet,psycopg2-binary,alembic,mako,marshmallow"),
    ("django", "django,asgiref,sqlparse,djangorestframework,gunicorn,psycopg2-binary,celery,kombu,billiard,vine,amqp,click,click-didyoumean,click-repl,click-plugins,prompt-toolkit,wcwidth,python-dateutil,six,tzdata,redis,pillow,requests,urllib3,idna,certifi,charset-normalizer"),
    ("fastapi", "fastapi,starlette,pydantic,pydantic-core,typing-extensions,annotated-types,anyio,sniffio,idna,uvicorn,h11,httptools,uvloop,python-dotenv,pyyaml,watchfiles,websockets,httpx,httpcore,certifi,click,orjson"),
    ("worker", "celery,kombu,billiard,vine,amqp,click,click-didyoumean,click-repl,click-plugins,prompt-toolkit,wcwidth,python-dateutil,six,tzdata,redis,numpy,pandas,pytz,boto3,botocore,s3transfer,jmespath,urllib3"),
    ("grpc", "grpcio,grpcio-status,protobuf,googleapis-common-protos,pydantic,pydantic-core,typing-extensions,annotated-types,structlog,prometheus-client,opentelemetry-api,cryptography,cffi,pycparser"),
];

/// Distributions any service may add to its profile.
pub(crate) const EXTRAS: &str = "sentry-sdk,structlog,prometheus-client,orjson,attrs,packaging,pyyaml,cryptography,cffi,pycparser,requests,urllib3,idna,certifi,charset-normalizer,redis,boto3,botocore,s3transfer,jmespath,python-dateutil,six";

/// One npm package: name, versions (the most used first), weight.
#[rustfmt::skip]
pub(crate) const NPM: &[(&str, &[&str], f64)] = &[
    ("express", &["4.19.2", "4.18.2"], 1.0),
    ("body-parser", &["1.20.2"], 0.4),
    ("debug", &["4.3.5", "2.6.9"], 0.2),
    ("ms", &["2.1.3", "2.0.0"], 0.05),
    ("cookie", &["0.6.0"], 0.1),
    ("accepts", &["1.3.8"], 0.05),
    ("mime-types", &["2.1.35"], 0.1),
    ("mime-db", &["1.52.0"], 1.2),
    ("qs", &["6.12.1", "6.11.0"], 0.8),
    ("lodash", &["4.17.21"], 10.0),
    ("react", &["18.3.1"], 1.5),
    ("react-dom", &["18.3.1"], 8.0),
    ("scheduler", &["0.23.2"], 0.5),
    ("loose-envify", &["1.4.0"], 0.05),
    ("js-tokens", &["4.0.0"], 0.05),
    ("@babel/runtime", &["7.24.7"], 4.0),
    ("@babel/code-frame", &["7.24.7"], 0.2),
    ("@types/node", &["20.14.9"], 4.0),
    ("@types/react", &["18.3.3"], 1.0),
    ("typescript", &["5.5.2"], 40.0),
    ("tslib", &["2.6.3"], 0.4),
    ("axios", &["1.7.2"], 2.0),
    ("follow-redirects", &["1.15.6"], 0.2),
    ("form-data", &["4.0.0"], 0.2),
    ("combined-stream", &["1.0.8"], 0.05),
    ("delayed-stream", &["1.0.0"], 0.05),
    ("asynckit", &["0.4.0"], 0.1),
    ("proxy-from-env", &["1.1.0"], 0.05),
    ("uuid", &["10.0.0", "9.0.1"], 0.6),
    ("semver", &["7.6.2", "6.3.1"], 0.5),
    ("chalk", &["5.3.0", "4.1.2"], 0.2),
    ("ansi-styles", &["6.2.1", "4.3.0"], 0.1),
    ("supports-color", &["9.4.0", "7.2.0"], 0.05),
    ("has-flag", &["4.0.0"], 0.03),
    ("date-fns", &["3.6.0"], 25.0),
    ("zod", &["3.23.8"], 3.0),
    ("@tanstack/react-query", &["5.48.0"], 4.0),
    ("clsx", &["2.1.1"], 0.05),
    ("esbuild", &["0.21.5"], 1.0),
    ("@esbuild/linux-x64", &["0.21.5"], 18.0),
];

/// Alpine 3.20 packages: name, version, weight, files (paths, the first the largest).
#[rustfmt::skip]
pub(crate) const APK_BASE: &[(&str, &str, f64, &str)] = &[
    ("musl", "1.2.5-r0", 1.0, "lib/ld-musl-x86_64.so.1"),
    ("busybox", "1.36.1-r29", 1.4, "bin/busybox,etc/securetty,etc/udhcpd.conf"),
    ("busybox-binsh", "1.36.1-r29", 0.01, ""),
    ("alpine-baselayout", "3.6.5-r0", 0.02, "etc/profile.d/color_prompt.sh.disabled,etc/profile.d/locale.sh"),
    ("alpine-baselayout-data", "3.6.5-r0", 0.03, "etc/fstab,etc/group,etc/hostname,etc/hosts,etc/inittab,etc/modules,etc/mtab,etc/nsswitch.conf,etc/passwd,etc/profile,etc/protocols,etc/services,etc/shadow,etc/shells,etc/sysctl.conf"),
    ("alpine-keys", "2.4-r1", 0.04, "etc/apk/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub,etc/apk/keys/alpine-devel@lists.alpinelinux.org-5243ef4b.rsa.pub,etc/apk/keys/alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub"),
    ("apk-tools", "2.14.4-r0", 0.25, "sbin/apk,lib/libapk.so.2.14.0"),
    ("ca-certificates-bundle", "20240226-r0", 0.3, "etc/ssl/certs/ca-certificates.crt"),
    ("libcrypto3", "3.3.1-r0", 3.5, "lib/libcrypto.so.3,usr/lib/engines-3/afalg.so,usr/lib/engines-3/capi.so,usr/lib/engines-3/loader_attic.so,usr/lib/engines-3/padlock.so,usr/lib/ossl-modules/legacy.so"),
    ("libssl3", "3.3.1-r0", 0.7, "lib/libssl.so.3"),
    ("musl-utils", "1.2.5-r0", 0.1, "sbin/ldconfig,usr/bin/getconf,usr/bin/getent,usr/bin/iconv,usr/bin/ldd"),
    ("scanelf", "1.3.7-r2", 0.08, "usr/bin/scanelf"),
    ("ssl_client", "1.36.1-r29", 0.02, "usr/bin/ssl_client"),
    ("zlib", "1.3.1-r1", 0.1, "lib/libz.so.1.3.1"),
    ("libc-utils", "0.7.2-r5", 0.01, ""),
];

/// What `apk add curl jq tzdata` adds.
#[rustfmt::skip]
pub(crate) const APK_ADDED: &[(&str, &str, f64, &str)] = &[
    ("curl", "8.8.0-r0", 0.3, "usr/bin/curl"),
    ("libcurl", "8.8.0-r0", 0.7, "usr/lib/libcurl.so.4.8.0"),
    ("brotli-libs", "1.1.0-r2", 0.8, "usr/lib/libbrotlicommon.so.1.1.0,usr/lib/libbrotlidec.so.1.1.0,usr/lib/libbrotlienc.so.1.1.0"),
    ("c-ares", "1.28.1-r0", 0.2, "usr/lib/libcares.so.2.14.0"),
    ("libidn2", "2.3.7-r0", 0.3, "usr/lib/libidn2.so.0.4.0"),
    ("libpsl", "0.21.5-r1", 0.1, "usr/lib/libpsl.so.5.3.5"),
    ("libunistring", "1.2-r0", 1.8, "usr/lib/libunistring.so.5.1.0"),
    ("nghttp2-libs", "1.62.1-r0", 0.2, "usr/lib/libnghttp2.so.14.28.2"),
    ("zstd-libs", "1.5.6-r0", 0.7, "usr/lib/libzstd.so.1.5.6"),
    ("jq", "1.7.1-r0", 0.3, "usr/bin/jq"),
    ("oniguruma", "6.9.9-r0", 0.6, "usr/lib/libonig.so.5.4.0"),
    ("tzdata", "2024a-r1", 1.0, ""),
];

/// Service names of `python-fleet`.
#[rustfmt::skip]
pub(crate) const SERVICES: &[&str] = &[
    "api-gateway", "auth", "billing", "catalog", "checkout", "inventory", "notifications",
    "orders", "payments", "pricing", "recommendations", "reporting", "search", "shipping",
    "users", "webhooks",
];
