"""Chinese unigram + bigram tokens for the library search."""

from greenfin.library.search import document_tokens, matches, query_tokens, search_text


def test_document_tokens_are_unigrams_bigrams_and_latin_words():
    assert document_tokens("屋顶光伏，10MW") == [
        "屋",
        "屋顶",
        "顶",
        "顶光",
        "光",
        "光伏",
        "伏",
        "10mw",
    ]
    # full-width characters are folded (NFKC) and duplicates dropped
    assert document_tokens("ＰＶ光伏", "光伏 pv") == ["pv", "光", "光伏", "伏"]
    assert search_text("热泵") == "热 热泵 泵"


def test_query_tokens_use_bigrams_for_phrases_and_the_unigram_for_one_character():
    assert query_tokens("光伏发电") == ["光伏", "伏发", "发电"]
    assert query_tokens("热") == ["热"]
    assert query_tokens("通州 EMC") == ["通州", "emc"]
    assert query_tokens("  ") == []


def test_match_semantics():
    doc = search_text("通州物流园屋顶分布式光伏发电项目")
    assert matches(doc, query_tokens("光伏发电"))
    assert matches(doc, query_tokens("通州 光伏"))
    assert not matches(doc, query_tokens("风电"))
    assert not matches(doc, query_tokens("光伏 emc"))
