"""PySpark: a local SparkSession in the notebook, and one inside each mapped call."""

import pytest

from tests.containers import Container

SPARK_COUNT = (
    "from pyspark.sql import SparkSession\n"
    "spark = SparkSession.builder.master('local[1]').appName('t').getOrCreate()\n"
    "print('count', spark.range({n}).count())\n"
    "spark.stop()\n"
)


@pytest.mark.smoke
def test_java_and_spark_home(container: Container) -> None:
    assert container.host.file(container.host.environment()["SPARK_HOME"] + "/jars").is_directory
    assert container.exec("java", "-version", check=False).returncode == 0


def test_spark_in_the_notebook(container: Container) -> None:
    outputs = container.run_notebook([SPARK_COUNT.format(n=1000)])
    assert "count 1000" in "".join(out.get("text", "") for out in outputs[0])


@pytest.mark.smoke
def test_map_with_a_spark_session_per_call(container: Container) -> None:
    lines = container.map_script(
        "import htmap\n"
        "def count(n):\n"
        "    from pyspark.sql import SparkSession\n"
        "    spark = SparkSession.builder.master('local[1]').appName('job').getOrCreate()\n"
        "    try:\n"
        "        return spark.range(n).count()\n"
        "    finally:\n"
        "        spark.stop()\n"
        "print(list(htmap.map(count, [10, 200], map_options=htmap.MapOptions(request_memory='1GB'))))\n",
        timeout=900,
    )
    assert lines[-1] == "[10, 200]"


@pytest.mark.smoke
def test_native_libraries_left_in_the_jars_load(container: Container) -> None:
    """The jars keep this platform's native code (trim-jar-natives drops the others')."""
    out = container.python(
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.builder.master('local[1]').appName('natives').getOrCreate()\n"
        "jvm = spark.sparkContext._jvm\n"
        "jvm.org.rocksdb.RocksDB.loadLibrary()\n"
        "print('zstd', len(jvm.com.github.luben.zstd.Zstd.compress(bytearray(b'htc' * 100))))\n"
        "print('snappy', jvm.org.xerial.snappy.Snappy.getNativeLibraryVersion())\n"
        "print('lz4', jvm.net.jpountz.lz4.LZ4Factory.nativeInstance().toString())\n"
        "spark.stop()\n"
    )
    assert "zstd " in out and "snappy 1." in out and "lz4 LZ4Factory:JNI" in out, out
    jars = container.python(
        "import glob, os, zipfile\n"
        "for jar in sorted(glob.glob(os.environ['SPARK_HOME'] + '/jars/rocksdbjni-*.jar')):\n"
        "    print(sorted(n for n in zipfile.ZipFile(jar).namelist() if 'librocksdbjni' in n))\n"
    )
    own = {"x86_64": "linux64", "aarch64": "linux-aarch64"}[container.exec("uname", "-m").stdout.strip()]
    assert jars.strip() == f"['librocksdbjni-{own}.so']", jars
