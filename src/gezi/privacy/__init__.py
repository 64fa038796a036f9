"""gezi.privacy"""
