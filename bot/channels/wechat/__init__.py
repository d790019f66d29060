"""The WeChat Official Account channel: the only package that imports wechatpy."""
