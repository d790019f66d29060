"""Language understanding: jieba tokenizer, topic and intent classifiers, slot parsing. No I/O."""
