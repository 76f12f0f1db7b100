# The HTC notebook family. Versions live here, and only here.
# Build in order with `make build` (each image is FROM the one below it).

variable "ORG" { default = "htcondor" }
variable "ROOT_IMAGE" { default = "debian:trixie-slim" }
# HTCondor's daemons come from this Debian suite (trixie has only 23.9.6); the
# Python bindings are the PyPI wheel of the same version.
variable "CONDOR_SUITE" { default = "testing" }
variable "CONDOR_VERSION" { default = "25.14.1" }
variable "PYTHON_VERSION" { default = "3.13" }
variable "HTMAP_VERSION" { default = "0.6.1" }
variable "DATE_TAG" { default = formatdate("YYYY-MM-DD", timestamp()) }
# pip inside the build trusts the host's certificate authorities (some networks
# intercept TLS); the bundle is mounted as a secret, never stored in a layer.
variable "CA_BUNDLE" { default = "/etc/ssl/certs/ca-certificates.crt" }
# The commit built (make passes git's 12-digit hash): each image's immutable tag and its own
# name inside (HTC_NOTEBOOK_IMAGE); the date when built outside a git checkout.
variable "REVISION" { default = "" }
variable "SOURCE_URL" { default = "https://github.com/htcondor/htc-notebooks" }
# One platform per build (make loops over PLATFORMS, e.g. "linux/amd64 linux/arm64"); empty:
# the engine's own. Another platform's local tags end in TAG_SUFFIX (-arm64): an engine's
# image store keeps one platform per tag. QEMU_CPU: QEMU's CPU model when emulated.
variable "PLATFORM" { default = "" }
variable "TAG_SUFFIX" { default = "" }
variable "QEMU_CPU" { default = "" }

function "image" {
  params = [name]
  result = "${ORG}/htc-${name}"
}

# An image's name for jobs: its immutable tag, which a registry's manifest list carries for
# every platform (so no TAG_SUFFIX).
function "own_name" {
  params = [name]
  result = "${image(name)}:${REVISION != "" ? REVISION : DATE_TAG}"
}

function "tags" {
  params = [name]
  result = concat([
    "${image(name)}:latest${TAG_SUFFIX}",
    "${image(name)}:${DATE_TAG}${TAG_SUFFIX}",
    "${image(name)}:condor-${CONDOR_VERSION}${TAG_SUFFIX}",
  ], REVISION != "" ? ["${image(name)}:${REVISION}${TAG_SUFFIX}"] : [])
}

# An image's labels: its title and description, and its own name (also HTC_NOTEBOOK_IMAGE).
function "about" {
  params = [name, description]
  result = {
    "org.opencontainers.image.title"       = "htc-${name}"
    "org.opencontainers.image.description" = description
    "org.htcondor.notebook.image"          = own_name(name)
  }
}

target "_family" {
  context   = "."
  platforms = PLATFORM == "" ? [] : [PLATFORM]
  secret    = ["id=cacert,src=${CA_BUNDLE}"]
  args = {
    QEMU_CPU       = QEMU_CPU
    ROOT_IMAGE     = ROOT_IMAGE
    CONDOR_SUITE   = CONDOR_SUITE
    CONDOR_VERSION = CONDOR_VERSION
    PYTHON_VERSION = PYTHON_VERSION
    HTMAP_VERSION  = HTMAP_VERSION
  }
  labels = {
    "org.opencontainers.image.source"   = SOURCE_URL
    "org.opencontainers.image.version"  = DATE_TAG
    "org.opencontainers.image.revision" = REVISION
    "org.opencontainers.image.created"  = timestamp()
    "org.htcondor.condor.version"       = CONDOR_VERSION
    "org.htcondor.htmap.version"        = HTMAP_VERSION
    "org.htcondor.python.version"       = PYTHON_VERSION
  }
}

# Every image's build knows its own name (HTC_NOTEBOOK_IMAGE).
function "own" {
  params = [name]
  result = { NOTEBOOK_IMAGE = own_name(name) }
}

# One target per image; a child is built FROM its parent's local image.
function "child" {
  params = [name, parent]
  result = merge(own(name), { BASE_IMAGE = "${image(parent)}:latest${TAG_SUFFIX}" })
}

target "base-notebook" {
  inherits   = ["_family"]
  dockerfile = "base-notebook/Dockerfile"
  args       = own("base-notebook")
  tags       = tags("base-notebook")
  labels     = about("base-notebook", "JupyterLab with a personal HTCondor pool, the HTCondor Python bindings and HTMap")
}

target "minimal-notebook" {
  inherits   = ["_family"]
  dockerfile = "minimal-notebook/Dockerfile"
  args       = child("minimal-notebook", "base-notebook")
  tags       = tags("minimal-notebook")
  labels     = about("minimal-notebook", "The HTC base notebook with git, editors, ssh, TeX and pandoc")
}

target "scipy-notebook" {
  inherits   = ["_family"]
  dockerfile = "scipy-notebook/Dockerfile"
  args       = child("scipy-notebook", "minimal-notebook")
  tags       = tags("scipy-notebook")
  labels     = about("scipy-notebook", "The HTC base notebook with the scientific Python stack")
}

target "tensorflow-notebook" {
  inherits   = ["_family"]
  dockerfile = "tensorflow-notebook/Dockerfile"
  args       = child("tensorflow-notebook", "scipy-notebook")
  tags       = tags("tensorflow-notebook")
  labels     = about("tensorflow-notebook", "The HTC scipy notebook with TensorFlow (CPU) and Keras")
}

target "pytorch-notebook" {
  inherits   = ["_family"]
  dockerfile = "pytorch-notebook/Dockerfile"
  args       = child("pytorch-notebook", "scipy-notebook")
  tags       = tags("pytorch-notebook")
  labels     = about("pytorch-notebook", "The HTC scipy notebook with PyTorch and torchvision (CPU, and NVIDIA GPUs when given)")
}

target "r-notebook" {
  inherits   = ["_family"]
  dockerfile = "r-notebook/Dockerfile"
  args       = child("r-notebook", "minimal-notebook")
  tags       = tags("r-notebook")
  labels     = about("r-notebook", "The HTC base notebook with R, the IRkernel and the tidyverse")
}

target "pyspark-notebook" {
  inherits   = ["_family"]
  dockerfile = "pyspark-notebook/Dockerfile"
  args       = child("pyspark-notebook", "scipy-notebook")
  tags       = tags("pyspark-notebook")
  labels     = about("pyspark-notebook", "The HTC scipy notebook with Java and PySpark")
}

target "datascience-notebook" {
  inherits   = ["_family"]
  dockerfile = "datascience-notebook/Dockerfile"
  args       = child("datascience-notebook", "scipy-notebook")
  tags       = tags("datascience-notebook")
  labels     = about("datascience-notebook", "The HTC scipy notebook with R, rpy2, polars, duckdb, xgboost and plotly")
}

# Runs the targets in parallel: use `make build`, which builds parents first.
group "default" {
  targets = ["base-notebook", "minimal-notebook", "scipy-notebook", "tensorflow-notebook", "pytorch-notebook", "r-notebook", "pyspark-notebook", "datascience-notebook"]
}
