# The HTC notebook family. Versions live here, and only here.
# Build in order with `make build` (each image is FROM the one below it).

variable "ORG" { default = "htcondor" }
variable "ROOT_IMAGE" { default = "debian:trixie-slim" }
variable "CONDOR_VERSION" { default = "23.9.6" }
variable "PYTHON_VERSION" { default = "3.13" }
variable "HTMAP_VERSION" { default = "0.6.1" }
variable "DATE_TAG" { default = formatdate("YYYY-MM-DD", timestamp()) }
# pip inside the build trusts the host's certificate authorities (some networks
# intercept TLS); the bundle is mounted as a secret, never stored in a layer.
variable "CA_BUNDLE" { default = "/etc/ssl/certs/ca-certificates.crt" }
variable "SOURCE_URL" { default = "https://github.com/htcondor/htc-notebooks" }

function "image" {
  params = [name]
  result = "${ORG}/htc-${name}"
}

function "tags" {
  params = [name]
  result = [
    "${image(name)}:latest",
    "${image(name)}:${DATE_TAG}",
    "${image(name)}:condor-${CONDOR_VERSION}",
  ]
}

target "_family" {
  context = "."
  secret  = ["id=cacert,src=${CA_BUNDLE}"]
  args = {
    ROOT_IMAGE     = ROOT_IMAGE
    CONDOR_VERSION = CONDOR_VERSION
    PYTHON_VERSION = PYTHON_VERSION
    HTMAP_VERSION  = HTMAP_VERSION
  }
  labels = {
    "org.opencontainers.image.source"  = SOURCE_URL
    "org.opencontainers.image.version" = DATE_TAG
    "org.opencontainers.image.created" = timestamp()
    "org.htcondor.condor.version"      = CONDOR_VERSION
    "org.htcondor.htmap.version"       = HTMAP_VERSION
    "org.htcondor.python.version"      = PYTHON_VERSION
  }
}

target "base-notebook" {
  inherits   = ["_family"]
  dockerfile = "base-notebook/Dockerfile"
  tags       = tags("base-notebook")
  labels = {
    "org.opencontainers.image.title"       = "htc-base-notebook"
    "org.opencontainers.image.description" = "JupyterLab with a personal HTCondor pool, the HTCondor Python bindings and HTMap"
  }
}

group "default" {
  targets = ["base-notebook"]
}
